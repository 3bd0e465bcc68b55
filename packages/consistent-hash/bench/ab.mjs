// Interleaved A/B of lookups: two builds of this package in one process, alternating rounds,
// medians reported, so a machine shared with other work moves both alike.
// Usage (repo root, after `npm run build` here and in a checkout of the other build):
//   flock /tmp/bulwark-bench.lock node packages/consistent-hash/bench/ab.mjs <dist A> <dist B> [rounds]
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const [distA, distB, roundsArg] = process.argv.slice(2);
if (!distA || !distB) {
  console.error('usage: node bench/ab.mjs <dist A> <dist B> [rounds]');
  process.exit(2);
}
const A = await import(resolve(distA, 'index.js'));
const B = await import(resolve(distB, 'index.js'));
const HashRingPeer = createRequire(import.meta.url)('hashring');

const servers = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}:11211`);
const manyKeys = Array.from({ length: 100_000 }, (_, i) => `user:${i * 7919}`);
const hotKeys = manyKeys.slice(0, 1000);
const ringOf = (module, options) => {
  const ring = new module.HashRing(options);
  for (const server of servers) ring.add(server);
  return ring;
};
const subjects = {
  'A uniform': [ringOf(A), manyKeys],
  'B uniform': [ringOf(B), manyKeys],
  'A hot': [ringOf(A), hotKeys],
  'B hot': [ringOf(B), hotKeys],
  'hashring hot': [new HashRingPeer(servers), hotKeys],
};

let sink;
/** Lookups per second over `ms`. */
function run([ring, keys], ms) {
  const end = performance.now() + ms;
  let count = 0;
  let i = 0;
  while (performance.now() < end) {
    for (let n = 0; n < 1000; n++) {
      sink = ring.get(keys[i]);
      i = i + 1 === keys.length ? 0 : i + 1;
    }
    count += 1000;
  }
  return (count / ms) * 1000;
}

const names = Object.keys(subjects);
const samples = Object.fromEntries(names.map((name) => [name, []]));
for (const name of names) run(subjects[name], 300); // warm-up
const rounds = Number(roundsArg ?? 15);
for (let round = 0; round < rounds; round++) {
  // Alternate the order, so neither build always runs right after the other.
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) samples[name].push(run(subjects[name], 150));
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const m = Object.fromEntries(names.map((name) => [name, median(samples[name])]));
for (const name of names)
  console.log(`${name.padEnd(14)} ${(m[name] / 1e6).toFixed(2)} M lookups/s`);
console.log(`uniform B/A ${(m['B uniform'] / m['A uniform']).toFixed(3)}`);
console.log(
  `hot B/A ${(m['B hot'] / m['A hot']).toFixed(3)}, B/hashring ${(m['B hot'] / m['hashring hot']).toFixed(2)}`,
);

export { sink };
