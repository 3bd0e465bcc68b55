import { defineConfig } from 'tsup';
import { inlineKernel } from '../../tools/kernel/tsup-inline.js';

export default defineConfig({
  ...inlineKernel,
  entry: [
    'src/index.ts',
    'src/redis.ts',
    'src/testing.ts',
    'src/http.ts',
    'src/express.ts',
    'src/fastify.ts',
    'src/hono.ts',
    'src/undici.ts',
  ],
  format: ['esm', 'cjs'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Split for CJS too, so every entry point shares one copy of each class: an error or a store
  // made through one subpath passes `instanceof` and `isBulwarkError` checks from another.
  splitting: true,
});
