import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// One vitest project per workspace that has a test/ folder: `vitest run --project lru-lfu`
// runs one package, `vitest run` runs them all against one shared Redis setup.
const workspaceDirs = ['packages', 'tools'].flatMap((parent) =>
  existsSync(parent)
    ? readdirSync(parent, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(parent, entry.name, 'test')))
        .map((entry) => join(parent, entry.name))
    : [],
);
if (existsSync('examples/test')) workspaceDirs.push('examples');

export default defineConfig({
  test: {
    globalSetup: ['./tools/test-utils/src/global-setup.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    // A workspace with its own vitest.config.ts (say, for execArgv) is used as is; it must set
    // `name` to its folder name and `include: ['test/**/*.test.ts']`.
    projects: workspaceDirs.map((dir) =>
      existsSync(join(dir, 'vitest.config.ts'))
        ? join(dir, 'vitest.config.ts')
        : {
            test: {
              name: dir.split('/').pop(),
              root: dir,
              include: ['test/**/*.test.ts'],
              testTimeout: 20_000,
              hookTimeout: 30_000,
            },
          },
    ),
  },
});
