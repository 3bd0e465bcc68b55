import type { TimerClock } from '@bulwark/kernel';

/**
 * Where a pool or semaphore reads time and schedules its timers: the kernel's `TimerClock`. Tests
 * pass a fake clock so nothing sleeps; the default is the kernel's `systemClock`.
 */
export type Clock = TimerClock;

/**
 * Schedule on `clock` without holding the process open: a pool's housekeeping (timeouts, leak
 * checks, idle reaping) must never be the reason a program fails to exit.
 */
export function scheduleUnref(clock: Clock, callback: () => void, ms: number): unknown {
  const handle = clock.setTimeout(callback, ms);
  (handle as { unref?: () => void } | undefined)?.unref?.();
  return handle;
}
