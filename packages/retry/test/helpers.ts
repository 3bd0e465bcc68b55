import { FakeClock } from '@bulwark/test-utils';

/** An epoch-based fake clock, so HTTP-date Retry-After values make sense. */
export const EPOCH = Date.UTC(2026, 0, 1);
export function fakeClock(): FakeClock {
  return new FakeClock(EPOCH);
}

/** Fire the clock's timers one at a time until `promise` settles; returns its outcome. */
export async function drive<T>(
  clock: FakeClock,
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let settled: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  promise.then(
    (value) => {
      settled = { ok: true, value };
    },
    (error) => {
      settled = { ok: false, error };
    },
  );
  for (let guard = 0; guard < 10_000; guard++) {
    await clock.advanceAsync(0);
    if (settled !== undefined) return settled;
    if (!(await clock.runNext())) {
      await clock.advanceAsync(0);
      if (settled !== undefined) return settled;
      throw new Error('promise never settled and no timer is pending');
    }
  }
  throw new Error('too many timers');
}

/** A function failing `failures` times with errors from `makeError`, then returning `value`. */
export function flaky<T>(
  failures: number,
  value: T,
  makeError = (n: number) => new Error(`fail ${n}`),
) {
  let calls = 0;
  const fn = async () => {
    calls++;
    if (calls <= failures) throw makeError(calls);
    return value;
  };
  return { fn, calls: () => calls };
}
