// Single-flight: concurrent callers of one key share one run of the work (Go's singleflight).
//
// Each flight counts the callers waiting for it. A caller that passed a signal leaves when the
// signal aborts: its own promise rejects with the abort reason, the count drops, and only when it
// reaches 0 is the work's own signal aborted and the flight forgotten, so that the next caller
// starts afresh instead of joining abandoned work. A caller without a signal cannot leave, so
// work it waits for is never aborted.

import { LazyAbort } from './lazy-abort.js';

/** Options of {@link SingleFlight.do}. */
export interface DoOptions {
  /** Stops this caller's wait (rejecting with the signal's reason); the shared work goes on while others wait. */
  signal?: AbortSignal | undefined;
}

interface Flight<V> {
  readonly promise: Promise<V>;
  readonly abort: LazyAbort;
  waiting: number;
}

/**
 * Runs a function once for all concurrent callers of a key and hands each the same result.
 * Cancel-safe: a caller whose signal aborts stops waiting but never cancels the work for the
 * others, not even when it started it; the signal the work receives aborts only once every
 * caller has gone.
 *
 * @example
 * const group = new SingleFlight<User>();
 * const user = await group.do(`user:${id}`, (signal) => db.user(id, { signal }), { signal });
 */
export class SingleFlight<V = unknown> {
  readonly #flights = new Map<string, Flight<V>>();

  /**
   * Runs `fn` for `key` unless a run for `key` is already in flight, and resolves (or rejects)
   * with that run's outcome. `fn` receives a signal that aborts when every caller has left.
   * A caller whose `signal` is already aborted rejects at once and starts nothing.
   */
  do(
    key: string,
    fn: (signal: AbortSignal) => V | PromiseLike<V>,
    options?: DoOptions,
  ): Promise<V> {
    return this.join(key, (abort) => fn(abort.signal), options);
  }

  /**
   * `do`, for work that may never need its signal: `fn` gets the flight's `LazyAbort`, whose
   * AbortController is made only if the work asks for `signal`. @internal
   */
  join(key: string, fn: (abort: LazyAbort) => V | PromiseLike<V>, options?: DoOptions): Promise<V> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const flight = this.#flights.get(key) ?? this.#start(key, fn);
    flight.waiting++;
    return signal === undefined ? flight.promise : this.#wait(key, flight, signal);
  }

  /**
   * Forgets the flight of `key`: the next `do(key)` starts a new run, while callers already
   * waiting keep waiting for the old one. True when there was one.
   */
  forget(key: string): boolean {
    return this.#flights.delete(key);
  }

  /** True while a run for `key` is in flight. */
  inFlight(key: string): boolean {
    return this.#flights.has(key);
  }

  /** Callers waiting for `key`'s run (0 when none is in flight). */
  waiting(key: string): number {
    return this.#flights.get(key)?.waiting ?? 0;
  }

  /** Runs in flight. */
  get size(): number {
    return this.#flights.size;
  }

  #start(key: string, fn: (abort: LazyAbort) => V | PromiseLike<V>): Flight<V> {
    const abort = new LazyAbort();
    let promise: Promise<V>;
    try {
      promise = Promise.resolve(fn(abort));
    } catch (error) {
      promise = Promise.reject(error);
    }
    const flight: Flight<V> = { promise, abort, waiting: 0 };
    this.#flights.set(key, flight);
    const settle = (): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    // Handled here once, so work every caller abandoned never surfaces as an unhandled rejection.
    promise.then(settle, settle);
    return flight;
  }

  #wait(key: string, flight: Flight<V>, signal: AbortSignal): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const leave = (): void => {
        reject(signal.reason);
        if (--flight.waiting > 0) return;
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
        flight.abort.abort(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(error);
        },
      );
    });
  }
}
