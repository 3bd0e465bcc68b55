// Interleaved A/B of acquire + release: two builds of this package in one process, alternating
// rounds, medians reported, so a machine shared with other work moves both alike.
// Usage (repo root, after `npm run build` here and in a checkout of the other build):
//   flock /tmp/bulwark-bench.lock node packages/pool/bench/ab.mjs <dist A> <dist B> [rounds]
import { resolve } from 'node:path';

const [distA, distB, roundsArg] = process.argv.slice(2);
if (!distA || !distB) {
  console.error('usage: node bench/ab.mjs <dist A> <dist B> [rounds]');
  process.exit(2);
}
const A = await import(resolve(distA, 'index.js'));
const B = await import(resolve(distB, 'index.js'));

let made = 0;
const poolOf = (module) =>
  module.createPool({ create: () => ({ id: made++ }), destroy: () => {}, max: 10 });
/** One op: 1000 acquire + release cycles by one caller. */
async function oneCaller(pool) {
  for (let i = 0; i < 1000; i++) (await pool.acquire()).release();
}
/** One op: 1000 cycles by 100 concurrent callers. */
async function concurrent(pool) {
  const caller = async () => {
    for (let i = 0; i < 10; i++) (await pool.acquire()).release();
  };
  await Promise.all(Array.from({ length: 100 }, caller));
}
const subjects = {
  'A 1 caller': [poolOf(A), oneCaller],
  'B 1 caller': [poolOf(B), oneCaller],
  'A 100 callers': [poolOf(A), concurrent],
  'B 100 callers': [poolOf(B), concurrent],
};

/** Cycles per second over `ms`. */
async function run([pool, op], ms) {
  const start = performance.now();
  let ops = 0;
  while (performance.now() - start < ms) {
    await op(pool);
    ops++;
  }
  return (ops * 1000) / ((performance.now() - start) / 1000);
}

const names = Object.keys(subjects);
const samples = Object.fromEntries(names.map((name) => [name, []]));
for (const name of names) await run(subjects[name], 300); // warm-up
const rounds = Number(roundsArg ?? 15);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) samples[name].push(await run(subjects[name], 150));
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const m = Object.fromEntries(names.map((name) => [name, median(samples[name])]));
for (const name of names)
  console.log(`${name.padEnd(14)} ${(m[name] / 1e6).toFixed(2)} M cycles/s`);
console.log(`1 caller B/A ${(m['B 1 caller'] / m['A 1 caller']).toFixed(3)}`);
console.log(`100 callers B/A ${(m['B 100 callers'] / m['A 100 callers']).toFixed(3)}`);
