// The pool's options, checked once at construction and resolved to their defaults. Bad values
// throw a TypeError or RangeError naming the option and the value; unknown keys a TypeError
// naming the nearest valid one.

import {
  checkBoolean,
  checkClock,
  checkFunction,
  checkInteger,
  checkKnownKeys,
  checkNumber,
  checkObject,
  checkOneOf,
  checkString,
  rangeError,
  systemClock,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import { checkDuration, checkLimit } from './check-options.js';
import type { Clock } from './clock.js';
import type { LeakStacks } from './leak-detector.js';
import type { PoolOptions } from './pool-types.js';

const POOL_KEYS: ReadonlySet<string> = new Set([
  'create',
  'destroy',
  'validate',
  'validateTimeoutMs',
  'max',
  'min',
  'acquireTimeoutMs',
  'createTimeoutMs',
  'destroyTimeoutMs',
  'idleTimeoutMs',
  'maxLifetimeMs',
  'maxLifetimeJitter',
  'random',
  'maxWaiting',
  'fifo',
  'leakDetectionMs',
  'leakStacks',
  'createRetryDelayMs',
  'reapIntervalMs',
  'name',
  'clock',
]);

const INFINITY = Number.POSITIVE_INFINITY;
const LEAK_STACKS: readonly LeakStacks[] = ['always', 'after-first-leak', 'never'];

/** Every option of a pool, checked, with its default filled in. */
export interface PoolSettings<T> {
  readonly create: PoolOptions<T>['create'];
  readonly destroy: PoolOptions<T>['destroy'];
  readonly validate: PoolOptions<T>['validate'];
  readonly max: number;
  readonly min: number;
  readonly acquireTimeoutMs: number;
  readonly createTimeoutMs: number;
  readonly validateTimeoutMs: number;
  readonly destroyTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
  readonly maxLifetimeJitter: number;
  readonly random: () => number;
  readonly maxWaiting: number;
  readonly fifo: boolean;
  /** Undefined when leak detection is off. */
  readonly leakDetectionMs: number | undefined;
  readonly leakStacks: LeakStacks;
  readonly createRetryDelayMs: number | undefined;
  readonly reapIntervalMs: number;
  readonly name: string;
  readonly clock: Clock;
}

/** A duration that may be left out or `Infinity` (never). */
const optionalDuration = (name: string, value: unknown): number =>
  value === undefined || value === INFINITY ? INFINITY : checkDuration(name, value, 1);

/** Check `createPool`'s options and fill in the defaults. */
export function readSettings<T>(options: PoolOptions<T>): PoolSettings<T> {
  checkObject('options', options);
  checkKnownKeys(options, POOL_KEYS, 'createPool(options)', VOCABULARY_RENAMES);
  checkFunction('create', options.create);
  checkFunction('destroy', options.destroy);
  if (options.validate !== undefined) checkFunction('validate', options.validate);
  if (options.random !== undefined) checkFunction('random', options.random);
  const max = checkInteger('max', options.max ?? 10, 1);
  const min = checkInteger('min', options.min ?? 0, 0);
  if (min > max) rangeError('min', `<= max (${max})`, min);
  const jitter = checkNumber('maxLifetimeJitter', options.maxLifetimeJitter ?? 0.025, 0, 1);
  if (jitter === 1) rangeError('maxLifetimeJitter', 'a number in [0, 1)', jitter);
  return {
    create: options.create,
    destroy: options.destroy,
    validate: options.validate,
    max,
    min,
    acquireTimeoutMs: checkDuration('acquireTimeoutMs', options.acquireTimeoutMs ?? 30_000, 1),
    createTimeoutMs: checkDuration('createTimeoutMs', options.createTimeoutMs ?? 30_000, 1),
    validateTimeoutMs: checkDuration('validateTimeoutMs', options.validateTimeoutMs ?? 30_000, 1),
    destroyTimeoutMs: checkDuration('destroyTimeoutMs', options.destroyTimeoutMs ?? 30_000, 1),
    idleTimeoutMs: optionalDuration('idleTimeoutMs', options.idleTimeoutMs),
    maxLifetimeMs: optionalDuration('maxLifetimeMs', options.maxLifetimeMs),
    maxLifetimeJitter: jitter,
    random: options.random ?? Math.random,
    maxWaiting: checkLimit('maxWaiting', options.maxWaiting ?? INFINITY, 0),
    fifo: checkBoolean('fifo', options.fifo ?? false),
    leakDetectionMs:
      options.leakDetectionMs === undefined
        ? undefined
        : checkDuration('leakDetectionMs', options.leakDetectionMs, 1),
    // Checked even with leak detection off, so a misspelt value never passes silently.
    leakStacks: checkOneOf('leakStacks', options.leakStacks ?? 'after-first-leak', LEAK_STACKS),
    createRetryDelayMs:
      options.createRetryDelayMs === undefined
        ? undefined
        : checkDuration('createRetryDelayMs', options.createRetryDelayMs, 0),
    reapIntervalMs: checkDuration('reapIntervalMs', options.reapIntervalMs ?? 1000, 1),
    name: checkString('name', options.name ?? 'default'),
    clock: checkClock<Clock>('clock', options.clock ?? systemClock, true),
  };
}
