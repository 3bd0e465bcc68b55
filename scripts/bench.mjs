// Runs every package's bench/*.bench.ts with vitest bench, one package at a time, and writes
// bench-results/<package>.json. Usage: node scripts/bench.mjs [package ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);
const names = (existsSync('packages') ? readdirSync('packages', { withFileTypes: true }) : [])
  .filter((d) => d.isDirectory() && existsSync(join('packages', d.name, 'bench')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name));

mkdirSync('bench-results', { recursive: true });
let failed = 0;
for (const name of names) {
  const out = join('bench-results', `${name}.json`);
  console.log(`\n=== bench ${name} -> ${out}`);
  const run = spawnSync(
    'npx',
    ['--no-install', 'vitest', 'bench', '--run', '--project', name, '--outputJson', out],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
