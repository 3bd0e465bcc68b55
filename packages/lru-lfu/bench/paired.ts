// The speed table of the README: every implementation in a process of its own
// (bench/paired-child.ts), the implementations interleaved rep by rep (the order rotates each
// rep), and each measured against a bare Map floor in the same process and round. Prints one
// markdown table per workload. Run, never beside another bench:
//   flock /tmp/bulwark-bench.lock npx tsx bench/paired.ts   (REPS=n to change the 3 reps)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPS = Number(process.env.REPS ?? 3);
const impls = [
  'bulwark LRU',
  'bulwark LFU',
  'bulwark W-TinyLFU',
  'lru-cache',
  'lru.min',
  'mnemonist LRUCache',
  'quick-lru',
  'tiny-lru',
];
const workloads: [string, string][] = [
  ['get-or-set', '(a) get-or-set, Zipf 0.99 over 100k keys, capacity 10k'],
  ['hits', '(b) 100% hits, capacity 10k'],
  ['misses', '(c) 100% misses with eviction, capacity 10k'],
];
const child = fileURLToPath(new URL('./paired-child.ts', import.meta.url));

/** speed[impl][workload] = one "× floor" value (median of the child's rounds) per rep. */
const speed = new Map<string, Map<string, number[]>>(impls.map((i) => [i, new Map()]));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

for (let rep = 0; rep < REPS; rep++) {
  const order = impls.map((_, i) => impls[(i + rep * 3) % impls.length]!);
  for (const impl of order) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', child, impl], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`${impl}: ${run.stderr}`);
    const { workloads: rounds } = JSON.parse(run.stdout) as {
      workloads: Record<string, number[]>;
    };
    for (const [w, ratios] of Object.entries(rounds)) {
      const per = speed.get(impl)!;
      per.set(w, [...(per.get(w) ?? []), median(ratios)]);
    }
    process.stderr.write(`rep ${rep + 1}/${REPS}: ${impl}\n`);
  }
}

const x = (v: number) => `${v.toFixed(2)}×`;
for (const [w, title] of workloads) {
  const reference = speed.get('lru-cache')!.get(w)!;
  const rows = impls.map((impl) => {
    const values = speed.get(impl)!.get(w)!;
    // Paired by rep: this implementation's floor-relative speed ÷ lru-cache's in the same rep.
    const vsLruCache = values.map((v, rep) => v / reference[rep]!);
    return {
      impl,
      floor: median(values),
      lo: Math.min(...values),
      hi: Math.max(...values),
      vs: median(vsLruCache),
    };
  });
  rows.sort((a, b) => b.floor - a.floor);
  console.log(`\n**${title}** (${REPS} reps)\n`);
  console.log(
    '| implementation | speed ÷ floor Map (median) | range over reps | ÷ lru-cache (median of paired reps) |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) {
    const name = r.impl.startsWith('bulwark') ? `**${r.impl}**` : r.impl;
    console.log(`| ${name} | ${x(r.floor)} | ${x(r.lo)}–${x(r.hi)} | ${x(r.vs)} |`);
  }
}
