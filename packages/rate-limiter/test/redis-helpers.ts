// Helpers shared by the Redis suites.
import type { FakeClock } from '@bulwark/test-utils';
import { MemoryRateLimiter } from '../src/index.js';
import type { AlgorithmSpec, Decision } from '../src/types.js';

/** A synchronous in-memory limiter on the fake clock, for comparing decisions. */
export interface SyncLimiter {
  consume(key: string, cost?: number): Decision;
  peek(key: string): Decision;
  reset(key: string): void;
}

/** The reference the Redis store must match: core's memory store on the fake clock. */
export function memoryLimiter(spec: AlgorithmSpec, clock: FakeClock): SyncLimiter {
  return new MemoryRateLimiter(spec, { clock }) as SyncLimiter;
}
