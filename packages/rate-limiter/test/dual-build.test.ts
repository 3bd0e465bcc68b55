// The built package as users load it: its ESM and its CJS build are two copies of every class, so
// `instanceof` cannot tell one copy's error from the other's, but `isBulwarkError` (a
// Symbol.for brand and a stable code) can, both ways. Needs `npm run build` (npm test builds
// first); without dist/ the suite is skipped, and under CI=true it fails.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const built = existsSync(`${dist}index.js`) && existsSync(`${dist}index.cjs`);
if (!built && process.env.CI === 'true')
  throw new Error('packages/rate-limiter/dist is missing: run npm run build first');
if (!built) console.log('dual-build: skipped, run npm run build first');

type Build = typeof import('../src/index.js') & typeof import('../src/redis.js');

describe.skipIf(!built)('the ESM and CJS builds of @bulwark/rate-limiter', () => {
  async function load(): Promise<{ esm: Build; cjs: Build; esmRedis: Build; cjsRedis: Build }> {
    const require = createRequire(import.meta.url);
    return {
      esm: (await import(pathToFileURL(`${dist}index.js`).href)) as Build,
      esmRedis: (await import(pathToFileURL(`${dist}redis.js`).href)) as Build,
      cjs: require(`${dist}index.cjs`) as Build,
      cjsRedis: require(`${dist}redis.cjs`) as Build,
    };
  }

  it('isBulwarkError recognizes the other build’s errors by brand and code', async () => {
    const { esm, cjs } = await load();
    expect(esm.QueueFullError).not.toBe(cjs.QueueFullError);
    const fromCjs = new cjs.QueueFullError(3);
    const fromEsm = new esm.ShaperClosedError('upload');
    expect(fromCjs instanceof esm.QueueFullError).toBe(false);
    expect(esm.isBulwarkError(fromCjs)).toBe(true);
    expect(esm.isBulwarkError(fromCjs, 'BULWARK_QUEUE_FULL')).toBe(true);
    expect(esm.isBulwarkError(fromCjs, 'BULWARK_RATE_LIMITER_CLOSED')).toBe(false);
    expect(cjs.isBulwarkError(fromEsm, 'BULWARK_RATE_LIMITER_CLOSED')).toBe(true);
    expect(cjs.isBulwarkError(new Error('plain'))).toBe(false);
  });

  it('a shaper of one build rejects with an error the other build recognizes', async () => {
    const { esm, cjs } = await load();
    const shaper = new cjs.LeakyBucketShaper(cjs.leakyBucket({ capacity: 1, leakPerSecond: 1 }), {
      maxWaiting: 1,
    });
    try {
      await shaper.schedule('k');
      const waiting = shaper.schedule('k');
      const full = await shaper.schedule('k').catch((error: unknown) => error);
      expect(esm.isBulwarkError(full, 'BULWARK_QUEUE_FULL')).toBe(true);
      shaper.close();
      const closed = await waiting.catch((error: unknown) => error);
      expect(esm.isBulwarkError(closed, 'BULWARK_RATE_LIMITER_CLOSED')).toBe(true);
    } finally {
      shaper.close();
    }
  });

  it('each build shares one class between its entry points', async () => {
    const { esm, cjs, esmRedis, cjsRedis } = await load();
    expect(esmRedis.QueueFullError).toBe(esm.QueueFullError);
    expect(cjsRedis.QueueFullError).toBe(cjs.QueueFullError);
    expect(cjsRedis.isBulwarkError).toBe(cjs.isBulwarkError);
  });
});
