// consistent-hash: add a server to a ring of ten and only about a tenth of the keys move, all
// of them to the new server; a modulo hash would move nine tenths. Bounded loads cap how many
// keys any one server holds.
//   npx tsx examples/packages/consistent-hash-rebalance.ts
import { BoundedLoads, HashRing } from '@bulwark/consistent-hash';

const ring = new HashRing<string>();
for (let i = 0; i < 10; i++) ring.add(`server-${i}`);
const keys = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);
const before = keys.map((key) => ring.get(key));

ring.add('server-10');
let moved = 0;
let movedElsewhere = 0;
keys.forEach((key, i) => {
  const now = ring.get(key);
  if (now !== before[i]) {
    moved++;
    if (now !== 'server-10') movedElsewhere++;
  }
});
console.log(
  `ring: adding an 11th server moved ${((100 * moved) / keys.length).toFixed(1)}% of keys (ideal ${(100 / 11).toFixed(1)}%), ${movedElsewhere} to an old server`,
);
const modulo = keys.filter((_, i) => i % 10 !== i % 11).length;
console.log(`modulo hashing would have moved ${((100 * modulo) / keys.length).toFixed(1)}%`);

const sessions = new BoundedLoads<string>({ loadFactor: 1.25 });
for (let i = 0; i < 4; i++) sessions.add(`worker-${i}`);
const load = new Map<string, number>();
for (let i = 0; i < 1000; i++) {
  const worker = sessions.assign(`session:${i}`);
  load.set(worker, (load.get(worker) ?? 0) + 1);
}
console.log(`bounded loads (1.25 × mean = ${Math.ceil(1.25 * 250)}):`, Object.fromEntries(load));
