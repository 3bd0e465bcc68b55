// Scaffolds packages/<name> with the layout every Bulwark package shares.
// Usage: node scripts/new-package.mjs <name> "<one-line description>" [--subpath redis ...]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const [name, description] = args;
const subpaths = args.flatMap((arg, i) => (args[i - 1] === '--subpath' ? [arg] : []));
if (!name || !description || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>" [--subpath redis ...]');
  process.exit(2);
}
const dir = join('packages', name);
if (existsSync(dir)) {
  console.error(`${dir} already exists`);
  process.exit(1);
}

const entry = (file) => ({
  import: { types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` },
  require: { types: `./dist/${file}.d.cts`, default: `./dist/${file}.cjs` },
});
const pkg = {
  name: `@bulwark/${name}`,
  version: '0.0.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20' },
  files: ['dist', 'README.md', 'CHANGELOG.md'],
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  // TypeScript under `moduleResolution: node10` ignores `exports`: this is how it finds subpaths.
  ...(subpaths.length > 0 && {
    typesVersions: {
      '*': Object.fromEntries(subpaths.map((sub) => [sub, [`./dist/${sub}.d.cts`]])),
    },
  }),
  exports: {
    '.': entry('index'),
    ...Object.fromEntries(subpaths.map((sub) => [`./${sub}`, entry(sub)])),
    './package.json': './package.json',
  },
  scripts: { build: 'tsup', typecheck: 'tsc -p tsconfig.json', lint: 'biome check .' },
  keywords: ['bulwark', 'resilience', name],
  publishConfig: { access: 'public' },
  // The kernel is inlined at build time (tools/kernel/tsup-inline.ts): a dev dependency only.
  devDependencies: { '@bulwark/kernel': '^0.0.0', '@bulwark/test-utils': '^0.0.0' },
};

for (const sub of ['src', 'test', 'bench']) mkdirSync(join(dir, sub), { recursive: true });
const write = (file, text) => writeFileSync(join(dir, file), text);
write('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
write(
  'tsconfig.json',
  `${JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'test', 'bench'] }, null, 2)}\n`,
);
write(
  'tsup.config.ts',
  `import { defineConfig } from 'tsup';
import { inlineKernel } from '../../tools/kernel/tsup-inline.js';

export default defineConfig({
  ...inlineKernel,
  entry: [${['index', ...subpaths].map((f) => `'src/${f}.ts'`).join(', ')}],
  format: ['esm', 'cjs'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Every entry point shares one copy of each class (instanceof holds across them).
  splitting: true,
});
`,
);
write(
  'src/index.ts',
  `// Public API of @bulwark/${name}.\nexport { BulwarkError, isBulwarkError } from '@bulwark/kernel';\n`,
);
for (const sub of subpaths) write(`src/${sub}.ts`, `// @bulwark/${name}/${sub}\nexport {};\n`);
write(
  'README.md',
  `# @bulwark/${name}

${description}

## Install

\`\`\`sh
npm install @bulwark/${name}
\`\`\`

## Example

## Options

## Semantics

## Benchmarks

<!-- bench:start -->
<!-- bench:end -->
`,
);
console.log(`created ${dir}; run npm install to link it`);
