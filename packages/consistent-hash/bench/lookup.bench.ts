// Lookups and ring builds, ours beside hashring (the most used npm ring) in one run.
// Run: flock /tmp/bulwark-bench.lock node scripts/bench.mjs consistent-hash (from the repo root)
import { createRequire } from 'node:module';
import { bench, describe } from 'vitest';
import { HashRing, jumpHash, Maglev, Rendezvous } from '../src/index.js';

const require = createRequire(import.meta.url);
const HashRingPeer = require('hashring') as new (servers: string[]) => { get(key: string): string };

const servers = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}:11211`);
// 100k distinct keys, so hashring's 5000-entry LRU cache rarely helps (as with real traffic
// over many keys); the second group uses 1000 hot keys, which its cache always holds.
const manyKeys = Array.from({ length: 100_000 }, (_, i) => `user:${i * 7919}`);
const hotKeys = manyKeys.slice(0, 1000);

// `ring` has no option set (its cache of recent keys adapts); `uncached` is the ring alone.
const ring = new HashRing<string>();
const uncached = new HashRing<string>({ cacheSize: 0 });
const ketama = new HashRing<string>({ compatibility: 'ketama' });
const cachedRing = new HashRing<string>({ cacheSize: 5000 });
const cachedKetama = new HashRing<string>({ compatibility: 'ketama', cacheSize: 5000 });
const hrw = new Rendezvous<string>();
const maglev = new Maglev<string>();
for (const server of servers) {
  ring.add(server);
  uncached.add(server);
  ketama.add(server);
  cachedRing.add(server);
  cachedKetama.add(server);
  hrw.add(server);
  maglev.add(server);
}
const peer = new HashRingPeer(servers);
const peerHot = new HashRingPeer(servers);
const floorMap = new Map(manyKeys.map((key) => [key, ring.get(key)!]));
const floorHot = new Map(hotKeys.map((key) => [key, ring.get(key)!]));
// Longer runs than the default: the machines are shared, and lookups are short.
const options = { time: 1500, warmupTime: 300 };

let sink: unknown;
function lookups(keys: readonly string[], lookup: (key: string) => unknown) {
  let i = 0;
  return () => {
    // 100 lookups per iteration, so timer overhead does not dominate.
    for (let n = 0; n < 100; n++) {
      sink = lookup(keys[i]!);
      i = i + 1 === keys.length ? 0 : i + 1;
    }
  };
}

describe('lookup, 10 nodes, 100k distinct keys (×100 per op)', () => {
  bench(
    'bulwark HashRing (160 vnodes)',
    lookups(manyKeys, (key) => ring.get(key)),
    options,
  );
  bench(
    'bulwark HashRing (cacheSize 0)',
    lookups(manyKeys, (key) => uncached.get(key)),
    options,
  );
  bench(
    'bulwark HashRing (cacheSize 5000)',
    lookups(manyKeys, (key) => cachedRing.get(key)),
    options,
  );
  bench(
    'bulwark HashRing ketama mode',
    lookups(manyKeys, (key) => ketama.get(key)),
    options,
  );
  bench(
    'bulwark Maglev',
    lookups(manyKeys, (key) => maglev.get(key)),
    options,
  );
  bench(
    'bulwark jumpHash',
    lookups(manyKeys, (key) => jumpHash(key, 10)),
    options,
  );
  bench(
    'bulwark Rendezvous',
    lookups(manyKeys, (key) => hrw.get(key)),
    options,
  );
  bench(
    'hashring (ketama)',
    lookups(manyKeys, (key) => peer.get(key)),
    options,
  );
  bench(
    'floor Map.get, precomputed key → node',
    lookups(manyKeys, (key) => floorMap.get(key)),
    options,
  );
});

describe('lookup, 10 nodes, 1000 hot keys (×100 per op)', () => {
  bench(
    'bulwark HashRing (160 vnodes)',
    lookups(hotKeys, (key) => ring.get(key)),
    options,
  );
  bench(
    'bulwark HashRing (cacheSize 0)',
    lookups(hotKeys, (key) => uncached.get(key)),
    options,
  );
  bench(
    'bulwark HashRing (cacheSize 5000)',
    lookups(hotKeys, (key) => cachedRing.get(key)),
    options,
  );
  bench(
    'bulwark HashRing ketama mode',
    lookups(hotKeys, (key) => ketama.get(key)),
    options,
  );
  bench(
    'bulwark ketama mode (cacheSize 5000)',
    lookups(hotKeys, (key) => cachedKetama.get(key)),
    options,
  );
  bench(
    'hashring (ketama, LRU-cached)',
    lookups(hotKeys, (key) => peerHot.get(key)),
    options,
  );
  bench(
    'floor Map.get, precomputed key → node',
    lookups(hotKeys, (key) => floorHot.get(key)),
    options,
  );
});

describe('ring build, 10 nodes, first lookup included', () => {
  bench(
    'bulwark HashRing (160 vnodes)',
    () => {
      const fresh = new HashRing<string>();
      for (const server of servers) fresh.add(server);
      sink = fresh.get('k');
    },
    options,
  );
  bench(
    'bulwark HashRing ketama mode',
    () => {
      const fresh = new HashRing<string>({ compatibility: 'ketama' });
      for (const server of servers) fresh.add(server);
      sink = fresh.get('k');
    },
    options,
  );
  bench(
    'bulwark Maglev (M = 65537)',
    () => {
      const fresh = new Maglev<string>();
      for (const server of servers) fresh.add(server);
      sink = fresh.get('k');
    },
    options,
  );
  bench(
    'hashring',
    () => {
      sink = new HashRingPeer(servers).get('k');
    },
    options,
  );
});

export { sink };
