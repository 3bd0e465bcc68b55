import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashRing, ketamaHash } from '../src/index.js';
import { md5, md5Words } from '../src/md5.js';

// hashring (npm) implements libketama's placement; it is the reference this mode must match.
const require = createRequire(import.meta.url);
const HashRingPeer = require('hashring') as new (
  servers: string[] | Record<string, number>,
) => { get(key: string): string; range(key: string, n: number): string[] };

describe('ketama compatibility', () => {
  it('hashes keys as the first little-endian word of MD5', () => {
    // MD5("") = d41d8cd9 8f00b204 ...: bytes d4 1d 8c d9, read little-endian.
    expect(ketamaHash('')).toBe(0xd98c1dd4);
    expect(ketamaHash(new Uint8Array())).toBe(0xd98c1dd4);
  });

  it('maps keys to the same servers as hashring, for any server set', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc
            .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 65535 }))
            .map(([host, port]) => `10.0.0.${host}:${port}`),
          { minLength: 1, maxLength: 30 },
        ),
        (servers) => {
          const peer = new HashRingPeer(servers);
          const ring = new HashRing({ compatibility: 'ketama' });
          for (const server of servers) ring.add(server);
          for (let i = 0; i < 300; i++) expect(ring.get(`key:${i}`)).toBe(peer.get(`key:${i}`));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('matches hashring with weights and for replicas (getN / range)', () => {
    const weights = {
      '10.0.0.1:11211': 1,
      '10.0.0.2:11211': 3,
      '10.0.0.3:11211': 2,
      '10.0.0.4:11211': 1,
    };
    const peer = new HashRingPeer(weights);
    const ring = new HashRing({ compatibility: 'ketama' });
    for (const [server, weight] of Object.entries(weights)) ring.add(server, { weight });
    for (let i = 0; i < 2000; i++) {
      expect(ring.get(`user:${i}`)).toBe(peer.get(`user:${i}`));
      expect(ring.getN(`user:${i}`, 2)).toEqual(peer.range(`user:${i}`, 2));
    }
  });

  it('gives 160 points per server at equal weights, as libketama', () => {
    const ring = new HashRing({ compatibility: 'ketama' }).add('a:1').add('b:1');
    expect(ring.stats().points).toBe(320);
  });
});

describe('md5 (for ketama)', () => {
  it('matches node:crypto on strings and bytes of any length', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 300 })),
        (key) => {
          md5(key);
          const expected = createHash('md5').update(key).digest();
          for (let j = 0; j < 4; j++) expect(md5Words[j]).toBe(expected.readUInt32LE(j * 4));
        },
      ),
      { numRuns: 500 },
    );
  });
});
