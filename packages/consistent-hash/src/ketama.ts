// Ketama placement, as libketama (last.fm, 2007) and the npm `hashring` package place points,
// so a Node service can share one ring with memcached clients written in other languages.
//
// For a server named `host:port` with weight w among n servers of total weight W:
//   - it gets floor(w / W * (points / 4) * n) MD5 digests, of the strings `host:port-0`,
//     `host:port-1`, ... (with the default 160 points: 40 digests);
//   - each 16-byte digest gives 4 points, its 4 little-endian 32-bit words;
//   - a key goes to the first point >= the first little-endian word of MD5(key), wrapping
//     around to the smallest point.
// So, unlike the default placement, every server's point count depends on the others' weights:
// changing one weight may move a few keys between other servers too, as in libketama.
import * as crypto from 'node:crypto';
import type { HashKey } from './hash.js';

// crypto.hash (Node >= 20.12) hashes in one call without a Hash object; older 20.x fall back.
const oneShot = (crypto as { hash?: (alg: string, data: HashKey, enc: 'buffer') => Buffer }).hash;
const md5: (data: HashKey) => Uint8Array = oneShot
  ? (data) => oneShot('md5', data, 'buffer')
  : (data) => crypto.createHash('md5').update(data).digest();

function word(digest: Uint8Array, at: number): number {
  return (
    (digest[at]! | (digest[at + 1]! << 8) | (digest[at + 2]! << 16) | (digest[at + 3]! << 24)) >>> 0
  );
}

/**
 * The ketama key hash: the first 4 bytes of MD5(key), read little-endian, as libketama's
 * `ketama_hashi` and hashring's `hashValue` compute it.
 *
 * @param key - a string (hashed as UTF-8) or bytes
 * @returns an unsigned 32-bit integer
 */
export function ketamaHash(key: HashKey): number {
  return word(md5(key), 0);
}

/**
 * The ketama points of one server.
 *
 * @param id - the server's name, usually `host:port`
 * @param weight - its weight
 * @param totalWeight - the sum of every server's weight
 * @param servers - how many servers the ring has
 * @param points - points per server at equal weights (160 in libketama); a multiple of 4
 * @returns the server's points, unsorted
 */
export function ketamaPoints(
  id: string,
  weight: number,
  totalWeight: number,
  servers: number,
  points: number,
): Uint32Array {
  // The same floating-point expression, in the same order, as hashring, so the counts agree.
  const digests = Math.floor((weight / totalWeight) * (points / 4) * servers);
  const out = new Uint32Array(digests * 4);
  for (let i = 0; i < digests; i++) {
    const digest = md5(`${id}-${i}`);
    for (let j = 0; j < 4; j++) out[i * 4 + j] = word(digest, j * 4);
  }
  return out;
}
