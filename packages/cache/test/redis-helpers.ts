import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';

export type Client = Redis | Cluster;

/**
 * Polls `check` until it returns true, for at most `timeoutMs` of real time: for outcomes that
 * depend on Redis' own clock (lease expiry) or on a message crossing a connection. Never a fixed
 * sleep: it returns as soon as the outcome is there.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${check}`);
    await delay(5);
  }
}

/** A loader that counts its calls and resolves `value-<n>` once `gate` (if any) resolves. */
export function gatedLoader(gate?: Promise<unknown>) {
  const state = { calls: 0 };
  const loader = async (): Promise<string> => {
    const n = ++state.calls;
    if (gate) await gate;
    return `value-${n}`;
  };
  return { loader, state };
}
