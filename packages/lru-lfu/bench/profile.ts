// Where the time goes: a CPU profile of the paired bench's workloads (string keys, capacity 10k)
// for each policy, taken with inlining off so that each function keeps its own samples (absolute
// times are then higher than in the bench; the shares are what to read). Prints one markdown
// table: the share of samples in each part of the code. Run, never beside another bench:
//   flock /tmp/bulwark-bench.lock npx tsx bench/profile.ts
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
}

/** The part of the code a function belongs to. */
function partOf(functionName: string, url: string): string {
  const file = url.slice(url.lastIndexOf('/') + 1);
  if (file === 'count-min-sketch.ts' || file === 'doorkeeper.ts') {
    return /^(hashKey|hashString|mix|identity)$/.test(functionName) ? 'key hashing' : 'sketch';
  }
  if (file === 'shell.ts') {
    return /^(linkFront|unlink|listed)$/.test(functionName) ? 'policy lists' : 'map and shell';
  }
  if (/^(lru|lfu|w-tinylfu|hill-climber)\.ts$/.test(file)) return 'policy lists';
  if (file === 'profile-child.ts') return 'bench loop';
  return 'other';
}

const parts = ['map and shell', 'policy lists', 'sketch', 'key hashing', 'bench loop', 'other'];
const child = fileURLToPath(new URL('./profile-child.ts', import.meta.url));
console.log(`| policy, workload | ${parts.join(' | ')} |`);
console.log(`| --- |${' ---: |'.repeat(parts.length)}`);
for (const impl of ['LRU', 'LFU', 'W-TinyLFU']) {
  for (const workload of ['get-or-set', 'hits', 'misses']) {
    const run = spawnSync(
      process.execPath,
      ['--no-turbo-inlining', '--import', 'tsx', child, impl, workload],
      { encoding: 'utf8', maxBuffer: 1 << 28 },
    );
    if (run.status !== 0) throw new Error(run.stderr);
    const profile = JSON.parse(run.stdout) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    const samples = new Map<string, number>();
    let total = 0;
    for (const id of profile.samples) {
      const { functionName, url } = byId.get(id)!;
      if (/^\((idle|program|garbage collector|root)\)$/.test(functionName)) continue;
      const part = partOf(functionName, url);
      samples.set(part, (samples.get(part) ?? 0) + 1);
      total++;
    }
    const shares = parts.map((p) => `${((100 * (samples.get(p) ?? 0)) / total).toFixed(0)}%`);
    console.log(`| ${impl}, ${workload} | ${shares.join(' | ')} |`);
  }
}
