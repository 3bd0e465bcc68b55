import { FakeClock, flushMicrotasks } from '@bulwark/test-utils';
import { createPool, type PoolOptions } from '../src/index.js';

/** A trivial resource with an id, so tests can tell resources apart. */
export interface Thing {
  id: number;
  destroyed: boolean;
}

/** A pool of `Thing`s on a fake clock, with counters the tests read. */
export function thingPool(options: Partial<PoolOptions<Thing>> = {}) {
  const clock = new FakeClock();
  const made: Thing[] = [];
  let nextId = 0;
  const pool = createPool<Thing>({
    create: () => {
      const thing = { id: nextId++, destroyed: false };
      made.push(thing);
      return thing;
    },
    destroy: (thing) => {
      thing.destroyed = true;
    },
    max: 3,
    clock,
    ...options,
  });
  return { pool, clock, made };
}

/** Let promise callbacks and one macrotask turn run, several times (no wall-clock wait). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await flushMicrotasks();
}

/** Track whether a promise has settled, without awaiting it. */
export function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}
