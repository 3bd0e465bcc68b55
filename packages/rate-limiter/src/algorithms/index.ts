/** Every algorithm's step function by spec kind. */
import type { AlgorithmSpec } from '../types.js';
import type { Algorithm } from './algorithm.js';
import { fixedWindowAlgorithm } from './fixed-window.js';
import { gcraAlgorithm } from './gcra.js';
import { leakyBucketAlgorithm } from './leaky-bucket.js';
import { slidingWindowCounterAlgorithm } from './sliding-window-counter.js';
import { slidingWindowLogAlgorithm } from './sliding-window-log.js';
import { tokenBucketAlgorithm } from './token-bucket.js';

/** The step functions, keyed by `AlgorithmSpec['kind']`. */
export const algorithms = {
  'token-bucket': tokenBucketAlgorithm,
  'leaky-bucket': leakyBucketAlgorithm,
  'fixed-window': fixedWindowAlgorithm,
  'sliding-window-log': slidingWindowLogAlgorithm,
  'sliding-window-counter': slidingWindowCounterAlgorithm,
  gcra: gcraAlgorithm,
} as const;

/** The step function for a spec, typed loosely for stores that handle every kind. */
export function algorithmFor(spec: AlgorithmSpec): Algorithm<AlgorithmSpec, unknown> {
  return algorithms[spec.kind] as unknown as Algorithm<AlgorithmSpec, unknown>;
}

export type { Algorithm } from './algorithm.js';
export type { FixedWindowState } from './fixed-window.js';
export type { GcraState } from './gcra.js';
export type { LeakyBucketState } from './leaky-bucket.js';
export type { SlidingWindowCounterState } from './sliding-window-counter.js';
export type { SlidingWindowLogState } from './sliding-window-log.js';
export type { TokenBucketState } from './token-bucket.js';
export {
  fixedWindowAlgorithm,
  gcraAlgorithm,
  leakyBucketAlgorithm,
  slidingWindowCounterAlgorithm,
  slidingWindowLogAlgorithm,
  tokenBucketAlgorithm,
};
