// Balance and movement of every placement in this package, and of hashring, on 1M random keys
// and 10 nodes. Prints markdown tables for the README.
// Run: npx tsx bench/distribution.ts  (from packages/consistent-hash; about a minute)
import { createRequire } from 'node:module';
import {
  BoundedLoads,
  HashRing,
  hash32,
  jumpHash,
  ketamaPoints,
  Maglev,
  Rendezvous,
} from '../src/index.js';

const require = createRequire(import.meta.url);
const HashRingPeer = require('hashring') as new (
  servers: string[],
) => { get(key: string): string; add(server: string): void; remove(server: string): void };

const KEY_COUNT = 1_000_000;
const NODE_COUNT = 10;
const nodes = Array.from({ length: NODE_COUNT }, (_, i) => `10.0.0.${i + 1}:11211`);
const newcomer = `10.0.0.${NODE_COUNT + 1}:11211`;
const leaver = nodes[3]!;

// Reproducible random keys: a xorshift generator, printed base 36.
function randomKeys(count: number, seed: number): string[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  return Array.from({ length: count }, () => `key:${next().toString(36)}${next().toString(36)}`);
}
const keys = randomKeys(KEY_COUNT, 0x2545f491);

interface Placement {
  name: string;
  lookup: (key: string) => string;
  add?: () => void;
  remove?: () => void;
  note?: string;
}

function loadStats(lookup: (key: string) => string, owners: string[]) {
  const counts = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    const owner = lookup(keys[i]!);
    owners[i] = owner;
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  const loads = [...counts.values()];
  while (loads.length < NODE_COUNT) loads.push(0);
  const mean = keys.length / NODE_COUNT;
  const variance = loads.reduce((sum, load) => sum + (load - mean) ** 2, 0) / NODE_COUNT;
  return { maxOverMean: Math.max(...loads) / mean, stddevOverMean: Math.sqrt(variance) / mean };
}

// Moved keys, and among them those whose old and new node both were there before and after
// (keys that should not have moved at all).
function movement(before: string[], lookup: (key: string) => string, changed: string) {
  let moved = 0;
  let stray = 0;
  for (let i = 0; i < keys.length; i++) {
    const now = lookup(keys[i]!);
    if (now !== before[i]) {
      moved++;
      if (now !== changed && before[i] !== changed) stray++;
    }
  }
  return { moved: moved / keys.length, stray: stray / keys.length };
}

const ringOf = (vnodes: number) => {
  const ring = new HashRing<string>({ vnodes });
  for (const node of nodes) ring.add(node);
  return ring;
};

const placements: Placement[] = [];
for (const vnodes of [1, 10, 100, 160, 1000]) {
  const ring = ringOf(vnodes);
  placements.push({
    name: `HashRing, ${vnodes} vnodes`,
    lookup: (key) => ring.get(key)!,
    add: () => ring.add(newcomer),
    remove: () => {
      ring.remove(newcomer);
      ring.remove(leaver);
    },
  });
}
{
  const ring = new HashRing<string>({ compatibility: 'ketama' });
  for (const node of nodes) ring.add(node);
  placements.push({
    name: 'HashRing, ketama mode (160 points)',
    lookup: (key) => ring.get(key)!,
    add: () => ring.add(newcomer),
    remove: () => {
      ring.remove(newcomer);
      ring.remove(leaver);
    },
  });
}
{
  const peer = new HashRingPeer(nodes);
  placements.push({
    name: 'hashring 3.2 (ketama, 160 points)',
    lookup: (key) => peer.get(key),
    add: () => peer.add(newcomer),
    remove: () => {
      peer.remove(newcomer);
      peer.remove(leaver);
    },
  });
}
{
  const loads = new BoundedLoads<string>({ loadFactor: 1.05 });
  for (const node of nodes) loads.add(node);
  placements.push({
    name: 'BoundedLoads, c = 1.05, 160 vnodes',
    // assign is sticky: a key already assigned keeps its node, so this reads the assignment.
    lookup: (key) => loads.assign(key),
    add: () => loads.add(newcomer),
    remove: () => {
      loads.remove(newcomer);
      loads.remove(leaver);
    },
  });
}
{
  let buckets = NODE_COUNT;
  placements.push({
    name: 'jumpHash',
    lookup: (key) => nodes[jumpHash(key, buckets)] ?? newcomer,
    add: () => {
      buckets = NODE_COUNT + 1;
    },
    // Jump can only drop the last bucket: back to 10, then down to 9.
    remove: () => {
      buckets = NODE_COUNT - 1;
    },
    note: 'remove drops the last bucket',
  });
}
{
  const hrw = new Rendezvous<string>();
  for (const node of nodes) hrw.add(node);
  placements.push({
    name: 'Rendezvous',
    lookup: (key) => hrw.get(key)!,
    add: () => hrw.add(newcomer),
    remove: () => {
      hrw.remove(newcomer);
      hrw.remove(leaver);
    },
  });
}
{
  const maglev = new Maglev<string>({ tableSize: 65537 });
  for (const node of nodes) maglev.add(node);
  placements.push({
    name: 'Maglev, M = 65537',
    lookup: (key) => maglev.get(key)!,
    add: () => maglev.add(newcomer),
    remove: () => {
      maglev.remove(newcomer);
      maglev.remove(leaver);
    },
  });
}

const fmt = (x: number, digits = 3) => x.toFixed(digits);
const rows: string[] = [];
for (const placement of placements) {
  const started = performance.now();
  const before: string[] = new Array(keys.length);
  const { maxOverMean, stddevOverMean } = loadStats(placement.lookup, before);
  placement.add!();
  const added = movement(before, placement.lookup, newcomer);
  // Back to the 10 nodes, then one of them leaves (jump: the last one).
  placement.remove!();
  const leaving = placement.name === 'jumpHash' ? nodes[NODE_COUNT - 1]! : leaver;
  const removed = movement(before, placement.lookup, leaving);
  rows.push(
    `| ${placement.name} | ${fmt(maxOverMean)} | ${fmt(stddevOverMean)} | ${fmt(added.moved, 4)} | ${fmt(added.stray, 4)} | ${fmt(removed.moved, 4)} | ${fmt(removed.stray, 4)} |`,
  );
  console.error(`${placement.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

console.log(`${KEY_COUNT.toLocaleString('en')} random keys, ${NODE_COUNT} nodes.`);
console.log(
  `Ideal: max/mean and stddev/mean as low as possible; add moves 1/${NODE_COUNT + 1} = ${fmt(1 / (NODE_COUNT + 1), 4)} of the keys, all onto the new node; remove moves only the leaver's keys.\n`,
);
console.log(
  '| placement | max/mean | stddev/mean | moved on add | … of them not onto the new node | moved on remove | … of them not from the leaver |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);

// The same balance figures, exact rather than sampled, averaged over 200 random sets of node
// names: the share of a ring node is the total length of the arcs its points end.
// The same balance figures, exact rather than sampled, averaged over 200 random sets of node
// names: a node's share is the total length of the arcs its points end. One set of names is one
// draw; the mean over many is what a deployment should expect.
function exactBalance(pointsOf: (name: string) => ArrayLike<number>, sets = 200) {
  let maxSum = 0;
  let stdSum = 0;
  for (let set = 0; set < sets; set++) {
    const names = randomKeys(NODE_COUNT, 1000 + set).map((name) => `10.${name}:11211`);
    const shares = new Map<string, number>(names.map((name) => [name, 0]));
    const points: Array<[number, string]> = [];
    for (const name of names) {
      for (const position of Array.from(pointsOf(name))) points.push([position, name]);
    }
    // Point i owns the arc (position[i-1], position[i]].
    points.sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < points.length; i++) {
      const [position, owner] = points[i]!;
      const previous = i === 0 ? points[points.length - 1]![0] - 2 ** 32 : points[i - 1]![0];
      shares.set(owner, shares.get(owner)! + (position - previous) / 2 ** 32);
    }
    const values = [...shares.values()].map((share) => share * NODE_COUNT);
    maxSum += Math.max(...values);
    stdSum += Math.sqrt(values.reduce((sum, v) => sum + (v - 1) ** 2, 0) / NODE_COUNT);
  }
  return `${fmt(maxSum / sets)} | ${fmt(stdSum / sets)}`;
}

console.log('\nRing balance without key sampling, mean over 200 random sets of 10 node names:\n');
console.log('| placement | points per node | mean max/mean | mean stddev/mean | 1/√points |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const vnodes of [1, 10, 100, 160, 1000]) {
  const pointsOf = (name: string) =>
    Array.from({ length: vnodes }, (_, i) => hash32(`${name}-${i}`));
  console.log(
    `| HashRing | ${vnodes} | ${exactBalance(pointsOf)} | ${fmt(1 / Math.sqrt(vnodes))} |`,
  );
}
console.log(
  `| ketama (ours and hashring) | 160 | ${exactBalance((name) => ketamaPoints(name, 1, NODE_COUNT, NODE_COUNT, 160))} | ${fmt(1 / Math.sqrt(160))} |`,
);
