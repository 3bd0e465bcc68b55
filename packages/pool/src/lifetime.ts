// How long one resource may live. With `maxLifetimeMs` alone, resources made together (a pool
// warming up, a fleet restarting) would all retire in the same reap and reconnect in one
// burst. So each resource's lifetime is cut by a random fraction of at most `jitter`, drawn
// once at its creation (as HikariCP does with up to 2.5 %): they retire spread over
// `jitter × maxLifetimeMs`, and never later than `maxLifetimeMs`.

/** When a resource made at `createdAt` is to retire; `Infinity` when lifetimes are unlimited. */
export function retireAt(
  createdAt: number,
  maxLifetimeMs: number,
  jitter: number,
  random: () => number,
): number {
  if (maxLifetimeMs === Number.POSITIVE_INFINITY) return maxLifetimeMs;
  if (jitter === 0) return createdAt + maxLifetimeMs;
  return createdAt + maxLifetimeMs * (1 - jitter * random());
}
