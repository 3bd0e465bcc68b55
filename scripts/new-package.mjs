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
  exports: {
    '.': entry('index'),
    ...Object.fromEntries(subpaths.map((sub) => [`./${sub}`, entry(sub)])),
    './package.json': './package.json',
  },
  scripts: { build: 'tsup', typecheck: 'tsc -p tsconfig.json', lint: 'biome check .' },
  keywords: ['bulwark', 'resilience', name],
  publishConfig: { access: 'public' },
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

export default defineConfig({
  entry: [${['index', ...subpaths].map((f) => `'src/${f}.ts'`).join(', ')}],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
`,
);
write('src/index.ts', `// Public API of @bulwark/${name}.\nexport {};\n`);
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
