import { defineConfig } from 'tsup';
import { inlineKernel } from '../../tools/kernel/tsup-inline.js';

export default defineConfig({
  ...inlineKernel,
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // `@internal` members (a lease's constructor, the semaphore's release hook) stay out of the
  // published types, and with them the internal types their signatures name.
  dts: {
    ...inlineKernel.dts,
    compilerOptions: { ...inlineKernel.dts.compilerOptions, stripInternal: true },
  },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // One entry today; split anyway so a later subpath shares one copy of each class.
  splitting: true,
});
