// Ketama placement, as libketama (last.fm, 2007) and the npm `hashring` package place points,
// so a Node service can share one ring with memcached clients written in other languages.
//
// For a server named `host:port` with weight w among n servers of total weight W:
//   - it gets floor(w / W * (points / 4) * n) MD5 digests, of the strings `host:port-0`,
//     `host:port-1`, ... (with the default 160 points: 40 digests). The two references compute
//     that count differently, and disagree for some n: libketama in C, with `pct` a 32-bit
//     float and the product rounded to float by `floorf` (with 7 equal servers 40 digests
//     each, with 61 only 39); hashring in doubles (7 servers: 39 digests, 61 servers: 40).
//     Each layout is emulated exactly: 'libketama' with Math.fround, 'hashring' in doubles;
//   - each 16-byte digest gives 4 points, its 4 little-endian 32-bit words;
//   - a key goes to the first point >= the first little-endian word of MD5(key), wrapping
//     around to the smallest point.
// So, unlike the default placement, every server's point count depends on the others' weights:
// changing one weight may move a few keys between other servers too, as in libketama.
import type { HashKey } from './hash.js';
import { md5, md5Words } from './md5.js';

/**
 * The ketama key hash: the first 4 bytes of MD5(key), read little-endian, as libketama's
 * `ketama_hashi` and hashring's `hashValue` compute it.
 *
 * @param key - a string (hashed as UTF-8) or bytes
 * @returns an unsigned 32-bit integer
 */
export function ketamaHash(key: HashKey): number {
  md5(key);
  return md5Words[0]!;
}

/** Whose arithmetic decides a server's digest count: libketama's (C floats) or hashring's (doubles). */
export type KetamaLayout = 'libketama' | 'hashring';

/**
 * How many MD5 digests (4 points each) a server gets.
 *
 * - `'libketama'`: `floorf(pct * 40.0 * (float)numservers)` with
 *   `float pct = (float)memory / (float)totalmemory`, as `ketama_create_continuum` computes it:
 *   the division in float, the products in double (exact here), rounded to float when passed to
 *   `floorf`.
 * - `'hashring'`: `Math.floor(weight / totalWeight * (points / 4) * servers)` in doubles, the
 *   expression and order of the npm `hashring` package.
 */
export function ketamaDigests(
  layout: KetamaLayout,
  weight: number,
  totalWeight: number,
  servers: number,
  points: number,
): number {
  if (layout === 'hashring') return Math.floor((weight / totalWeight) * (points / 4) * servers);
  const pct = Math.fround(Math.fround(weight) / Math.fround(totalWeight));
  return Math.floor(Math.fround(pct * (points / 4) * Math.fround(servers)));
}

/**
 * The ketama points of one server.
 *
 * @param id - the server's name, usually `host:port`
 * @param weight - its weight
 * @param totalWeight - the sum of every server's weight
 * @param servers - how many servers the ring has
 * @param points - points per server at equal weights (160 in libketama); a multiple of 4
 * @param layout - whose digest count to reproduce (default `'hashring'`)
 * @returns the server's points, unsorted
 */
export function ketamaPoints(
  id: string,
  weight: number,
  totalWeight: number,
  servers: number,
  points: number,
  layout: KetamaLayout = 'hashring',
): Uint32Array {
  const digests = ketamaDigests(layout, weight, totalWeight, servers, points);
  const out = new Uint32Array(digests * 4);
  for (let i = 0; i < digests; i++) {
    md5(`${id}-${i}`);
    out.set(md5Words, i * 4);
  }
  return out;
}
