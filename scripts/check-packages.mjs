// Runs publint and @arethetypeswrong/cli over every built package in packages/.
// Usage: node scripts/check-packages.mjs [name ...]   (build first: npm run build)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);
const dirs = (existsSync('packages') ? readdirSync('packages', { withFileTypes: true }) : [])
  .filter((d) => d.isDirectory() && existsSync(join('packages', d.name, 'package.json')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name));

let failures = 0;
for (const name of dirs) {
  const dir = join('packages', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  for (const [tool, args] of [
    ['publint', ['publint', '--strict', dir]],
    ['attw', ['attw', '--pack', dir, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    const run = spawnSync('npx', ['--no-install', ...args], { encoding: 'utf8' });
    const ok = run.status === 0;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${tool} ${pkg.name}`);
    if (!ok) console.log(run.stdout + run.stderr);
  }
}
console.log(`package checks: ${dirs.length} packages, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
