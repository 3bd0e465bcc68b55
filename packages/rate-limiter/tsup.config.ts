import { defineConfig } from 'tsup';
import { inlineKernel } from '../../tools/kernel/tsup-inline.js';

export default defineConfig({
  ...inlineKernel,
  entry: [
    'src/index.ts',
    'src/redis.ts',
    'src/http.ts',
    'src/express.ts',
    'src/fastify.ts',
    'src/hono.ts',
  ],
  format: ['esm', 'cjs'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Split for CJS too, so every entry point shares one copy of each class: QueueFullError from
  // /redis is the main entry's (instanceof holds across entry points in CommonJS as in ESM).
  splitting: true,
});
