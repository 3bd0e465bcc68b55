import { defineConfig } from 'tsup';
import { inlineKernel } from '../../tools/kernel/tsup-inline.js';

export default defineConfig({
  ...inlineKernel,
  entry: ['src/index.ts', 'src/redis.ts'],
  format: ['esm', 'cjs'],
  // @bulwark/lru-lfu is a real dependency: kept external, never bundled.
  external: ['@bulwark/lru-lfu', 'ioredis'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Split for CJS too, so /redis and the main entry share one copy of each class (TimeoutError,
  // SingleFlight, the cache itself): `instanceof` holds whichever entry point made the object.
  splitting: true,
});
