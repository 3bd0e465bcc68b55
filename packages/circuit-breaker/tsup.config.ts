import { defineConfig } from 'tsup';
import { inlineKernel } from '../../tools/kernel/tsup-inline.js';

export default defineConfig({
  ...inlineKernel,
  entry: ['src/index.ts', 'src/redis.ts'],
  format: ['esm', 'cjs'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Split for CJS too, so /redis and the main entry share one CircuitBreaker and one
  // BrokenCircuitError class (instanceof holds across the two entry points).
  splitting: true,
});
