// The options of createIdempotency, their defaults and their checks.

import {
  checkBoolean,
  checkClock,
  checkFunction,
  checkInteger,
  checkKnownKeys,
  checkMs,
  checkObject,
  checkOneOf,
  checkOnStoreError,
  checkString,
  type OnStoreError,
  systemClock,
  type TimerClock,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import type { StorePhase } from './channels.js';
import type { IdempotencyRequest, IdempotencyStore } from './types.js';

/** What `onStoreError` is told about a failed store call. */
export interface StoreErrorContext {
  /** Which call failed: `claim` (before the handler), `complete` or `release` (after it). */
  readonly phase: StorePhase;
  /** The Idempotency-Key (without the scope). */
  readonly key: string;
  /** The request method. */
  readonly method: string;
  /** The request path. */
  readonly path: string;
}

/**
 * Options of {@link createIdempotency}. `Raw` is the framework's request type, which `scope`
 * receives (an adapter passes its own request; the bare core passes the {@link IdempotencyRequest}).
 */
export interface IdempotencyOptions<Raw = IdempotencyRequest> {
  /** Where keys and responses live: `new MemoryIdempotencyStore()` or the Redis store. */
  store: IdempotencyStore;
  /** The instance's label in `stats()` and diagnostics events. Default `'default'`. */
  name?: string;
  /** How long a recorded response is replayed, in ms. Default 24 hours (Stripe's). */
  ttlMs?: number;
  /**
   * How long a request holds its key while it runs, in ms: after this a process that died
   * mid-request no longer blocks its key, and a retry runs. Set it above your slowest handler.
   * Default 30 000.
   */
  lockTtlMs?: number;
  /** Methods that honour the key; others pass through untouched. Default `['POST', 'PATCH']`. */
  methods?: readonly string[];
  /** Whether a request of those methods without a key is refused with 400. Default false. */
  required?: boolean;
  /**
   * What must match for a retry to be a replay. Default: SHA-256 of method, path and body bytes
   * (see `defaultFingerprint`). `raw` is the framework's request.
   */
  fingerprint?: (request: IdempotencyRequest, raw: Raw) => string;
  /**
   * The key's owner, e.g. the authenticated principal: keys of different scopes never meet, so
   * one client cannot replay another's response. Default: one scope for all (`''`).
   */
  scope?: (raw: Raw) => string;
  /** Which statuses are recorded for replay; others (and a throw) release the key. Default: status < 500. */
  storeWhen?: (status: number) => boolean;
  /**
   * Response headers recorded and replayed (case-insensitive). Default `content-type`,
   * `content-encoding`, `content-language`, `content-location`, `location`, `etag`,
   * `last-modified`, `cache-control`, `vary`, `link`, `retry-after`.
   */
  replayHeaders?: readonly string[];
  /**
   * Largest response body recorded, in bytes; a larger response is sent but not recorded (the
   * key is released). Adapters that read the request body refuse a larger one with 413.
   * Default 1 MiB.
   */
  maxBodyBytes?: number;
  /**
   * A duplicate that arrives while the first request runs: `'reject'` answers 409 with
   * `Retry-After`; `'wait'` waits until the first finishes (then replays its result, or runs if it
   * released the key or its lease ran out) or `waitTimeoutMs` passes (then 409). It looks again
   * when the store announces the key settled, when the first's lease ends, and at least every
   * `waitIntervalMs`. Default `'reject'`.
   */
  onConcurrent?: 'reject' | 'wait';
  /** With `onConcurrent: 'wait'`, the longest wait in ms. Default 10 000. */
  waitTimeoutMs?: number;
  /**
   * With `onConcurrent: 'wait'`, the longest time between two looks at the store, in ms. A store
   * that announces settled keys (`onSettled`: both built-in stores) wakes a waiter as soon as the
   * first request records or releases, so polling there only covers a lost announcement: default
   * 1 000 for such a store, 50 for a store without `onSettled`.
   */
  waitIntervalMs?: number;
  /**
   * A store failure on the claim: `'fail-closed'` answers 503 without running the handler,
   * `'fail-open'` runs the handler without idempotency, a function decides per error. Default:
   * fail-closed for unsafe methods (POST, PATCH, ...), fail-open for GET, HEAD, OPTIONS, TRACE,
   * PUT and DELETE. After the handler ran, a failure to record or release is reported to the
   * function (its answer is ignored) and the client still gets its response.
   */
  onStoreError?: OnStoreError<'fail-open' | 'fail-closed', [context: StoreErrorContext]>;
  /** Accept only a Structured Field String (`"…"`), not a bare value. Default false. */
  strict?: boolean;
  /** Status for a key reused with a different request. Default 422 (the draft's). */
  mismatchStatus?: number;
  /** Time and timers, for `onConcurrent: 'wait'`. Default the system clock. */
  clock?: TimerClock;
}

/** The response headers recorded and replayed when `replayHeaders` is not given. */
export const DEFAULT_REPLAY_HEADERS = [
  'content-type',
  'content-encoding',
  'content-language',
  'content-location',
  'location',
  'etag',
  'last-modified',
  'cache-control',
  'vary',
  'link',
  'retry-after',
] as const;

const KNOWN = new Set<string>([
  'store',
  'name',
  'ttlMs',
  'lockTtlMs',
  'methods',
  'required',
  'fingerprint',
  'scope',
  'storeWhen',
  'replayHeaders',
  'maxBodyBytes',
  'onConcurrent',
  'waitTimeoutMs',
  'waitIntervalMs',
  'onStoreError',
  'strict',
  'mismatchStatus',
  'clock',
]);

/** The options with defaults filled in, checked. */
export interface Settings<Raw> {
  store: IdempotencyStore;
  name: string;
  ttlMs: number;
  lockTtlMs: number;
  methods: ReadonlySet<string>;
  required: boolean;
  fingerprint: ((request: IdempotencyRequest, raw: Raw) => string) | undefined;
  scope: ((raw: Raw) => string) | undefined;
  storeWhen: (status: number) => boolean;
  replayHeaders: readonly string[];
  maxBodyBytes: number;
  wait: boolean;
  waitTimeoutMs: number;
  waitIntervalMs: number;
  onStoreError: IdempotencyOptions<Raw>['onStoreError'];
  strict: boolean;
  mismatchStatus: number;
  clock: TimerClock;
}

const below500 = (status: number): boolean => status < 500;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** Checks `options` (at construction) and fills in the defaults. */
export function settingsOf<Raw>(
  options: IdempotencyOptions<Raw>,
  where = 'createIdempotency(options)',
): Settings<Raw> {
  checkObject('options', options);
  checkKnownKeys(options, KNOWN, where, VOCABULARY_RENAMES);
  const store = options.store as unknown;
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof (store as IdempotencyStore).claim !== 'function' ||
    typeof (store as IdempotencyStore).complete !== 'function' ||
    typeof (store as IdempotencyStore).release !== 'function'
  )
    typeError('store', 'an object with claim(), complete() and release()', store);
  const opt = <T>(value: T | undefined, check: (value: unknown) => T, fallback: T): T =>
    value === undefined ? fallback : check(value);
  return {
    store: store as IdempotencyStore,
    name: opt(options.name, (v) => checkString('name', v), 'default'),
    ttlMs: opt(options.ttlMs, (v) => checkMs('ttlMs', v, true), 24 * 60 * 60 * 1000),
    lockTtlMs: opt(options.lockTtlMs, (v) => checkMs('lockTtlMs', v, true), 30_000),
    methods: new Set(opt(options.methods, checkMethods, ['POST', 'PATCH'])),
    required: opt(options.required, (v) => checkBoolean('required', v), false),
    fingerprint: opt(
      options.fingerprint,
      (v) => checkFunction<(request: IdempotencyRequest, raw: Raw) => string>('fingerprint', v),
      undefined,
    ),
    scope: opt(options.scope, (v) => checkFunction<(raw: Raw) => string>('scope', v), undefined),
    storeWhen: opt(options.storeWhen, (v) => checkFunction('storeWhen', v), below500),
    replayHeaders: opt(options.replayHeaders, checkHeaderNames, [...DEFAULT_REPLAY_HEADERS]),
    maxBodyBytes: opt(options.maxBodyBytes, (v) => checkInteger('maxBodyBytes', v, 0), 1024 * 1024),
    wait:
      opt(
        options.onConcurrent,
        (v) => checkOneOf('onConcurrent', v, ['reject', 'wait']),
        'reject',
      ) === 'wait',
    waitTimeoutMs: opt(options.waitTimeoutMs, (v) => checkMs('waitTimeoutMs', v), 10_000),
    waitIntervalMs: opt(
      options.waitIntervalMs,
      (v) => checkMs('waitIntervalMs', v, true),
      typeof (store as IdempotencyStore).onSettled === 'function' ? 1_000 : 50,
    ),
    onStoreError: checkOnStoreError('onStoreError', options.onStoreError, undefined as never),
    strict: opt(options.strict, (v) => checkBoolean('strict', v), false),
    mismatchStatus: opt(
      options.mismatchStatus,
      (v) => checkInteger('mismatchStatus', v, 400, 599),
      422,
    ),
    clock: opt(options.clock, (v) => checkClock<TimerClock>('clock', v, true), systemClock),
  };
}

function checkMethods(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((m) => typeof m !== 'string' || m.length === 0))
    typeError('methods', 'an array of method names', value);
  return (value as string[]).map((m) => m.toUpperCase());
}

function checkHeaderNames(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((h) => typeof h !== 'string'))
    typeError('replayHeaders', 'an array of header names', value);
  const names = (value as string[]).map((h) => h.toLowerCase());
  const bad = names.find((h) => !HEADER_NAME.test(h));
  if (bad !== undefined) typeError('replayHeaders', 'an array of header names', bad);
  return names.filter((h) => h !== 'idempotent-replayed');
}
