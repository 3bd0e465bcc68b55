// Runs publint and @arethetypeswrong/cli over every built package in packages/ (attw under every
// resolution profile: node10, node16 from CJS and from ESM, bundler), checks that a class exported
// by several entry points (say an error class from `.` and `/redis`) is one and the same class in
// both the ESM and the CJS build, so `instanceof` holds across entry points, and that the CJS build
// carries no down-levelling helpers (`_optionalChain`, `_nullishCoalesce`: Node 20 runs `?.` and
// `??` natively, and the helpers cost a call per use).
// Usage: node scripts/check-packages.mjs [name ...]   (build first: npm run build)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** Names exported as the same-named class by more than one entry, but as different classes. */
function splitClasses(entries) {
  const seen = new Map();
  const split = new Set();
  for (const exports of entries) {
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value !== 'function' || !/^class\b/.test(Function.prototype.toString.call(value)))
        continue;
      if (seen.has(name) && seen.get(name) !== value) split.add(name);
      seen.set(name, value);
    }
  }
  return [...split];
}

async function checkSharedClasses(dir, pkg) {
  const files = Object.values(pkg.exports ?? {}).filter((target) => typeof target === 'object');
  const esm = await Promise.all(
    files.map((t) => import(pathToFileURL(resolve(dir, t.import.default)).href)),
  );
  const cjs = files.map((t) => require(resolve(dir, t.require.default)));
  return [...splitClasses(esm).map((n) => `ESM ${n}`), ...splitClasses(cjs).map((n) => `CJS ${n}`)];
}

// Helpers a transpiler adds when it lowers syntax that Node 20 has (sucrase's and Babel's names).
const HELPERS =
  /\b_(?:optionalChain|optionalChainDelete|nullishCoalesce|asyncOptionalChain|asyncNullishCoalesce)\b/;

/** Built CJS files of a package that contain a lowering helper. */
function filesWithHelpers(dir) {
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) return [];
  return readdirSync(dist)
    .filter((file) => file.endsWith('.cjs'))
    .filter((file) => HELPERS.test(readFileSync(join(dist, file), 'utf8')));
}

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
    ['attw', ['attw', '--pack', dir, '--profile', 'strict', '--format', 'table-flipped']],
  ]) {
    const run = spawnSync('npx', ['--no-install', ...args], { encoding: 'utf8' });
    const ok = run.status === 0;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${tool} ${pkg.name}`);
    if (!ok) console.log(run.stdout + run.stderr);
  }
  const helpers = filesWithHelpers(dir);
  if (helpers.length > 0) failures++;
  console.log(`${helpers.length === 0 ? 'ok  ' : 'FAIL'} no lowering helpers in CJS ${pkg.name}`);
  if (helpers.length > 0) console.log(`  _optionalChain-style helpers in: ${helpers.join(', ')}`);
  const split = await checkSharedClasses(dir, pkg);
  if (split.length > 0) failures++;
  console.log(`${split.length === 0 ? 'ok  ' : 'FAIL'} shared classes ${pkg.name}`);
  if (split.length > 0) console.log(`  one class per entry point, not shared: ${split.join(', ')}`);
}
console.log(`package checks: ${dirs.length} packages, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
