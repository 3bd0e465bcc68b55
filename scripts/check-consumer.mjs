// A scratch consumer, as a user's project would be: in a temp dir, one file importing every entry
// point (`.` and each subpath: /redis, /http, /express, ...) of every built package, type-checked
// under moduleResolution node10 (CommonJS), node16 (from CJS and from ESM) and bundler. It catches
// what attw reports per package, and also types that do not stand alone (a `.d.ts` naming the
// private kernel) or that break under a strict consumer.
// Usage: node scripts/check-consumer.mjs [name ...]   (build first: npm run build)
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const only = process.argv.slice(2);
const packages = readdirSync('packages', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('packages', d.name, 'package.json')))
  .map((d) => JSON.parse(readFileSync(join('packages', d.name, 'package.json'), 'utf8')))
  .filter((pkg) => !pkg.private && (only.length === 0 || only.includes(pkg.name.split('/')[1])));

const specifiers = packages.flatMap((pkg) =>
  Object.keys(pkg.exports ?? { '.': null })
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`)),
);

/** A module importing every entry point and using each, so an unresolved one is an error. */
const consumer = `${specifiers.map((s, i) => `import * as entry${i} from '${s}';`).join('\n')}

export const entries: object[] = [${specifiers.map((_, i) => `entry${i}`).join(', ')}];
`;

const base = {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  types: ['node'],
  lib: ['ES2023', 'ESNext.Disposable', 'DOM'],
  target: 'ES2022',
};
const profiles = [
  {
    name: 'node10',
    file: 'consumer.ts',
    options: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
  },
  {
    name: 'node16 (from CJS)',
    file: 'consumer.cts',
    options: { module: 'node16', moduleResolution: 'node16' },
  },
  {
    name: 'node16 (from ESM)',
    file: 'consumer.mts',
    options: { module: 'node16', moduleResolution: 'node16' },
  },
  {
    name: 'bundler',
    file: 'consumer.ts',
    options: { module: 'esnext', moduleResolution: 'bundler' },
  },
];

// The repository's node_modules serves the consumer: @bulwark/* link to the built packages, and
// the optional peers (ioredis, express, fastify, hono, undici) and @types/node are there.
const dir = mkdtempSync(join(tmpdir(), 'bulwark-consumer-'));
let failures = 0;
try {
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "private": true }\n');
  for (const file of ['consumer.ts', 'consumer.cts', 'consumer.mts'])
    writeFileSync(join(dir, file), consumer);
  const tsc = resolve('node_modules/typescript/bin/tsc');
  for (const profile of profiles) {
    const config = `tsconfig.${profile.name.replace(/\W+/g, '-')}.json`;
    const compilerOptions = { ...base, ...profile.options };
    writeFileSync(
      join(dir, config),
      JSON.stringify({ compilerOptions, files: [profile.file] }, null, 2),
    );
    const run = spawnSync(process.execPath, [tsc, '-p', join(dir, config)], { encoding: 'utf8' });
    const ok = run.status === 0;
    if (!ok) failures++;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} consumer under ${profile.name}: ${specifiers.length} entry points`,
    );
    if (!ok) console.log(run.stdout + run.stderr);
  }
  // The kernel is private and inlined: no published type may name it.
  for (const pkg of packages) {
    const dist = join('packages', pkg.name.split('/')[1], 'dist');
    const naming = readdirSync(dist).filter(
      (f) =>
        /\.d\.c?ts$/.test(f) && readFileSync(join(dist, f), 'utf8').includes('@bulwark/kernel'),
    );
    if (naming.length > 0) {
      failures++;
      console.log(`FAIL ${pkg.name}: types name the private @bulwark/kernel: ${naming.join(', ')}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`consumer checks: ${packages.length} packages, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
