import { FakeClock, flushMicrotasks } from '@bulwark/test-utils';
import { type CacheOptions, createCache, type LoaderContext } from '../src/index.js';

/** A promise the test settles by hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A cache on a fake clock, XFetch off unless asked (so counts are exact). */
export function fakeCache<V = string>(options: CacheOptions<V> = {}) {
  const clock = new FakeClock(1_000_000);
  const cache = createCache<V>({ clock, earlyRefresh: false, ...options });
  return { cache, clock };
}

/** A loader that counts its calls and answers `value-<n>` after `delayMs` on the fake clock. */
export function countingLoader(clock: FakeClock, delayMs = 0) {
  const state = {
    calls: 0,
    contexts: [] as LoaderContext<string>[],
    fail: undefined as Error | undefined,
  };
  const loader = (context: LoaderContext<string>): Promise<string> => {
    const n = ++state.calls;
    state.contexts.push(context);
    const fail = state.fail;
    return new Promise((resolve, reject) => {
      const settle = () => (fail ? reject(fail) : resolve(`value-${n}`));
      if (delayMs === 0) settle();
      else clock.setTimeout(settle, delayMs);
    });
  };
  return { loader, state };
}

export { flushMicrotasks };
