// A bounded wait on real state, for outcomes that arrive over a connection or from another
// process: it polls without sleeping and gives up, naming what it waited for, after a limit.

/**
 * Waits, a macrotask at a time (no sleep: I/O runs in between), until `condition` holds; throws
 * naming `what` after `limitMs` of real time. For outcomes that arrive over a connection or from
 * another process.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what = 'condition',
  limitMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
