/**
 * A source of time in milliseconds. Tests pass a fake clock so that nothing sleeps on the wall
 * clock; only differences between two readings matter to the algorithms.
 */
export interface Clock {
  /** The current time in milliseconds. */
  now(): number;
}

/** A clock that can also schedule, for primitives that wait (timeouts, open intervals, refills). */
export interface TimerClock extends Clock {
  /** Calls `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a handle returned by `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

// performance.now() is monotonic (never jumps back when NTP adjusts the wall clock); adding
// timeOrigin puts it on the Unix epoch, so memory windows line up with Redis' TIME as well.
const timeOrigin = performance.timeOrigin;

/**
 * The one default clock of every package: monotonic milliseconds on the Unix epoch
 * (`performance.timeOrigin + performance.now()`) and the global timers.
 */
export const systemClock: TimerClock = {
  now: () => timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The largest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days); larger ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
