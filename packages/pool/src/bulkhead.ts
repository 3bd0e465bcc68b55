// A bulkhead: a semaphore that by default lets nobody wait, so overload is shed at once
// instead of piling up.

import { checkInteger, checkKnownKeys, checkObject, VOCABULARY_RENAMES } from '@bulwark/kernel';
import { checkLimit } from './check-options.js';
import type { QueueFullError } from './errors.js';
import { Semaphore, type SemaphoreOptions } from './semaphore.js';

const BULKHEAD_KEYS: ReadonlySet<string> = new Set(['acquireTimeoutMs', 'clock', 'name']);

/**
 * A bulkhead: at most `maxConcurrent` calls run at once and at most `maxWaiting` wait; the rest
 * are turned away at once with {@link QueueFullError}, so overload sheds load instead of
 * piling up. Use `execute(fn, { signal })`.
 */
export class Bulkhead extends Semaphore {
  /**
   * @param maxConcurrent - How many calls run at once, an integer >= 1.
   * @param maxWaiting - How many may wait; the rest get {@link QueueFullError}. Default 0.
   * @param options - Wait timeout, clock and name. Unknown keys throw a TypeError naming the
   *   nearest valid one.
   */
  constructor(
    maxConcurrent: number,
    maxWaiting = 0,
    options: Omit<SemaphoreOptions, 'maxWaiting'> = {},
  ) {
    checkObject('options', options);
    checkKnownKeys(
      options,
      BULKHEAD_KEYS,
      'new Bulkhead(maxConcurrent, maxWaiting, options)',
      VOCABULARY_RENAMES,
    );
    super(checkInteger('maxConcurrent', maxConcurrent, 1), {
      ...options,
      maxWaiting: checkLimit('maxWaiting', maxWaiting, 0),
    });
  }
}
