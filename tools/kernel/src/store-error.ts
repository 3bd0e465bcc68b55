import { typeError } from './check.js';

/**
 * What a Redis-backed primitive does when its store fails: `'fail-open'` (let the call through),
 * `'fail-closed'` (refuse it), or a function that decides from the error. A store failure never
 * crashes the caller; each package documents what open and closed mean for it.
 */
export type OnStoreError<D = 'fail-open' | 'fail-closed', C extends unknown[] = []> =
  | 'fail-open'
  | 'fail-closed'
  | ((error: unknown, ...context: C) => D);

/** Checks an `onStoreError` option (default `fallback`). */
export function checkOnStoreError<M extends OnStoreError<unknown, never[]>>(
  name: string,
  value: unknown,
  fallback: M,
): M {
  if (value === undefined) return fallback;
  if (value !== 'fail-open' && value !== 'fail-closed' && typeof value !== 'function')
    typeError(name, "'fail-open', 'fail-closed' or a function", value);
  return value as M;
}

/**
 * The decision for a store error: `open` or `closed` for the two words, the function's answer
 * otherwise. A function that throws gives `whenPolicyThrows` (each package says which), so a
 * bug in the user's policy cannot turn a Redis outage into a crash.
 */
export function resolveStoreError<D, C extends unknown[]>(
  mode: OnStoreError<D, C>,
  error: unknown,
  context: C,
  open: D,
  closed: D,
  whenPolicyThrows: D,
): D {
  if (mode === 'fail-open') return open;
  if (mode === 'fail-closed') return closed;
  try {
    return mode(error, ...context);
  } catch {
    return whenPolicyThrows;
  }
}
