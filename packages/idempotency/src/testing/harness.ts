import type { IdempotencyStore } from '../types.js';

/**
 * A store handed to the conformance suite, with the means to make time pass for it: a fake
 * clock's advance for a store on an injectable clock; for a store that reads a server's clock,
 * a test helper that shifts its records' times back by `ms`.
 */
export interface StoreUnderTest {
  /** The store; every check gets a fresh one from the factory. */
  readonly store: IdempotencyStore;
  /** Makes `ms` milliseconds pass for the store's records. */
  elapse(ms: number): void | Promise<void>;
  /** Called when the check is done (close clients, drop keys). */
  close?(): void | Promise<void>;
}

/** Makes a fresh, empty {@link StoreUnderTest} for one check (or one property run). */
export type StoreFactory = () => StoreUnderTest | Promise<StoreUnderTest>;

/** One conformance check: a name and a function that throws (an AssertionError) on failure. */
export interface ConformanceCheck {
  /** What the check shows, e.g. `'a released key is claimed again with a larger token'`. */
  readonly name: string;
  /** Runs the check; rejects on failure. */
  run(): Promise<void>;
}

/** Options of the conformance suite. */
export interface ConformanceOptions {
  /** Runs of the fast-check model. Default 100. */
  numRuns?: number;
  /** A fast-check seed, to replay a failing run. */
  seed?: number;
}

/** Runs `body` on a fresh store and closes it afterwards, pass or fail. */
export async function withStore(
  factory: StoreFactory,
  body: (subject: StoreUnderTest) => Promise<void>,
): Promise<void> {
  const subject = await factory();
  try {
    await body(subject);
  } finally {
    await subject.close?.();
  }
}
