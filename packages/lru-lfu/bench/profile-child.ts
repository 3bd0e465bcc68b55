// One implementation and one workload of bench/profile.ts, in a process of its own: prints the
// CPU profile (JSON) of the loop alone, warm-up and setup left out.
import { Session } from 'node:inspector/promises';
import { LFUCache, LRUCache, WTinyLFUCache } from '../src/index.js';
import { prng, zipf } from './traces.js';

const CAP = 10_000;
const OPS = 20_000_000;
const [impl, workload] = process.argv.slice(2) as [string, string];
const cache =
  impl === 'LRU'
    ? new LRUCache<string, number>({ capacity: CAP })
    : impl === 'LFU'
      ? new LFUCache<string, number>({ capacity: CAP })
      : new WTinyLFUCache<string, number>({ capacity: CAP });
const names = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);
const random = prng(9);
const keys =
  workload === 'hits'
    ? Array.from({ length: 1 << 20 }, () => names[Math.floor(random() * CAP)]!)
    : workload === 'misses'
      ? Array.from({ length: 1 << 20 }, (_, i) => `session:${i}`)
      : Array.from(zipf(100_000, 0.99, 1 << 20, 42), (rank) => names[rank]!);
if (workload === 'hits') for (let k = 0; k < CAP; k++) cache.set(names[k]!, k);
function loop(from: number, ops: number): number {
  let found = 0;
  for (let i = from; i < from + ops; i++) {
    const k = keys[i & 0xfffff]!;
    if (cache.get(k) === undefined) cache.set(k, i);
    else found++;
  }
  return found;
}
loop(0, 1 << 20); // warm-up: optimized before the profile starts
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
loop(1 << 20, OPS);
const { profile } = await session.post('Profiler.stop');
process.stdout.write(JSON.stringify(profile));
