/**
 * @bulwark/idempotency/testing — the store conformance suite: the rules every
 * {@link IdempotencyStore} keeps, runnable against any store and by any test runner.
 *
 * ```ts
 * import { describe, it } from 'vitest'; // or node:test, mocha, jest
 * import { registerStoreConformance } from '@bulwark/idempotency/testing';
 *
 * registerStoreConformance({ describe, it }, 'my store', () => {
 *   const clock = new FakeClock();
 *   return { store: new MyStore({ clock }), elapse: (ms) => clock.advance(ms) };
 * });
 * ```
 *
 * The model check needs `fast-check` (an optional peer dependency).
 */

import { contractChecks } from './testing/checks.js';
import type { ConformanceCheck, ConformanceOptions, StoreFactory } from './testing/harness.js';
import { modelCheck } from './testing/model.js';
import type { IdempotencyStore } from './types.js';

export { assertSameResponse, sampleResponse } from './testing/checks.js';
export type {
  ConformanceCheck,
  ConformanceOptions,
  StoreFactory,
  StoreUnderTest,
} from './testing/harness.js';
export type { IdempotencyStore };

/**
 * Every conformance check for the store `factory` makes (a fresh store per check and per model
 * run), as plain `{ name, run }` objects: run them with any test runner, or in a loop.
 */
export function storeConformanceChecks(
  factory: StoreFactory,
  options: ConformanceOptions = {},
): ConformanceCheck[] {
  return [...contractChecks(factory), modelCheck(factory, options)];
}

/** The `describe` and `it` of a test runner (vitest, jest, mocha, node:test). */
export interface TestRunner {
  /** Groups the checks under a name. */
  describe(name: string, body: () => void): unknown;
  /** Registers one check. */
  it(name: string, body: () => Promise<void>, timeoutMs?: number): unknown;
}

/**
 * Registers every conformance check for `factory` as a test of `runner`, grouped under `name`.
 * `timeoutMs` is passed to `it` for the model check (default 60 000; a store on a server makes a
 * few thousand calls there).
 */
export function registerStoreConformance(
  runner: TestRunner,
  name: string,
  factory: StoreFactory,
  options: ConformanceOptions & { timeoutMs?: number } = {},
): void {
  const { timeoutMs = 60_000, ...rest } = options;
  runner.describe(name, () => {
    for (const check of storeConformanceChecks(factory, rest))
      runner.it(check.name, () => check.run(), timeoutMs);
  });
}
