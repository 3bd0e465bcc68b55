/**
 * Where a pool or semaphore reads time and schedules its timers. Tests pass a fake clock so
 * nothing sleeps; the default is `performance.now()` and the global timers.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Run `callback` after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancel a timer made by `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: monotonic time and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Schedule on `clock` without holding the process open: a pool's housekeeping (timeouts, leak
 * checks, idle reaping) must never be the reason a program fails to exit.
 */
export function scheduleUnref(clock: Clock, callback: () => void, ms: number): unknown {
  const handle = clock.setTimeout(callback, ms);
  (handle as { unref?: () => void } | undefined)?.unref?.();
  return handle;
}
