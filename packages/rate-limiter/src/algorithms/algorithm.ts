import type { AlgorithmSpec, Decision } from '../types.js';

/**
 * What every algorithm file exports: a fresh state, one step, and an idle test. The memory
 * store keeps one state per key and calls `step`; the Redis scripts run the same arithmetic in
 * Lua, operation for operation (see the header comment of each algorithm file).
 *
 * Conventions shared by all six:
 * - `now` is an integer number of milliseconds, `>= 0` (the memory store floors its clock; Redis
 *   uses `TIME` in ms). All arithmetic is IEEE-754 double arithmetic in both JS and Lua, and
 *   every rounding is an explicit `floor`/`ceil` at the point the header names.
 * - `cost` is an integer in `[1, limitOf(spec)]`; the caller validates it before the step.
 * - `step(spec, state, now, cost, take)` computes the decision for taking `cost` units at `now`.
 *   It writes the new state into `state` only when the request is admitted and `take` is true;
 *   a denied request and a `take = false` call (a peek) leave `state` as it was (the sliding log
 *   may drop expired entries, which changes no later decision).
 * - `fresh()` is the state of a key never seen, and the state a Redis script assumes when the
 *   key is missing. It does not depend on `now`.
 * - `isIdle(spec, state, now)` is true when, at `now`, the state gives exactly the decisions a
 *   fresh state would: the key can be forgotten (memory) or expire (Redis).
 */
export interface Algorithm<S extends AlgorithmSpec, State> {
  /** The state of a key never seen. */
  fresh(spec: S): State;
  /** Copies `from` into `to` (for reusing state objects). */
  copy(from: State, to: State): void;
  /** One decision; mutates `state` only when admitted and `take` is true. */
  step(spec: S, state: State, now: number, cost: number, take: boolean): Decision;
  /** Whether the state at `now` decides exactly like a fresh one. */
  isIdle(spec: S, state: State, now: number): boolean;
  /** The `limit` reported in decisions, and the largest `cost` accepted. */
  limitOf(spec: S): number;
}
