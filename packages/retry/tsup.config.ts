import { defineConfig } from 'tsup';
import { inlineKernel } from '../../tools/kernel/tsup-inline.js';

export default defineConfig({
  ...inlineKernel,
  entry: ['src/index.ts', 'src/undici.ts'],
  format: ['esm', 'cjs'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Split for CJS too, so /undici and the main entry share one copy of each class: TimeoutError,
  // RetryBudgetExhaustedError and RetryPolicy from either entry point pass `instanceof`.
  splitting: true,
});
