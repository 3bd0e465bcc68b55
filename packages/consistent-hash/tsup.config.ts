import { defineConfig } from 'tsup';
import { inlineKernel } from '../../tools/kernel/tsup-inline.js';

export default defineConfig({
  ...inlineKernel,
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // One entry today; split anyway so a later subpath shares one copy of each class.
  splitting: true,
});
