import { defineProject } from 'vitest/config';

// The pool's own project config: its leak tests call global.gc() to drive the
// FinalizationRegistry path, so test workers start with --expose-gc.
export default defineProject({
  test: {
    name: 'pool',
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
