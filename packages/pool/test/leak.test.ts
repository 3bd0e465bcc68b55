// Leak detection: held past leakDetectionMs (fake clock), and garbage-collected unreleased
// (real GC through --expose-gc, driven by gc() calls and event-loop turns, bounded in count).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import type { LeakReport, Pool } from '../src/index.js';
import { settle, type Thing, thingPool } from './helpers.js';

function collectReports(pool: Pool<Thing>): LeakReport<Thing>[] {
  const reports: LeakReport<Thing>[] = [];
  pool.on('leak', (report) => reports.push(report));
  return reports;
}

// A named frame the captured stack must show.
function borrowInTheCheckoutHandler(pool: Pool<Thing>) {
  return pool.acquire();
}

/** Run gc and let finalizers run until `done()` or the attempts run out. */
async function collectUntil(done: () => boolean, attempts = 30): Promise<void> {
  for (let i = 0; i < attempts && !done(); i++) {
    globalThis.gc!();
    await settle(2);
  }
}

describe('held too long', () => {
  it('reports once, after leakDetectionMs and within a quarter more, with the acquire stack', async () => {
    const { pool, clock } = thingPool({ leakDetectionMs: 1000, leakStacks: 'always' });
    const reports = collectReports(pool);
    const lease = await borrowInTheCheckoutHandler(pool);
    const quick = await pool.acquire();
    quick.release();
    await clock.advanceAsync(1000);
    expect(reports).toHaveLength(0);
    await clock.advanceAsync(250);
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report).toMatchObject({ kind: 'held-too-long', name: 'default', resource: lease.value });
    expect(report!.heldMs).toBeGreaterThanOrEqual(1000);
    expect(report!.heldMs).toBeLessThanOrEqual(1250);
    expect(report!.stack).toMatch(/^Lease acquired\n/);
    expect(report!.stack).toContain('borrowInTheCheckoutHandler');
    await clock.advanceAsync(10_000);
    expect(reports).toHaveLength(1);
    expect(pool.stats().leaks).toBe(1);
    lease.release();
    expect(pool.stats().borrowed).toBe(0);
  });

  it('publishes on bulwark:pool:leak', async () => {
    const { pool, clock } = thingPool({ leakDetectionMs: 100, name: 'db' });
    const messages: unknown[] = [];
    const listener = (message: unknown) => messages.push(message);
    subscribe('bulwark:pool:leak', listener);
    try {
      const lease = await pool.acquire();
      await clock.advanceAsync(200);
      expect(messages).toEqual([
        { name: 'db', report: expect.objectContaining({ kind: 'held-too-long', name: 'db' }) },
      ]);
      lease.release();
    } finally {
      unsubscribe('bulwark:pool:leak', listener);
    }
  });

  it("in 'after-first-leak' mode (the default) captures stacks once a leak was seen", async () => {
    const { pool, clock } = thingPool({ leakDetectionMs: 100 });
    const reports = collectReports(pool);
    const first = await borrowInTheCheckoutHandler(pool);
    await clock.advanceAsync(200);
    expect(reports[0]!.stack).toBeUndefined();
    const second = await borrowInTheCheckoutHandler(pool);
    await clock.advanceAsync(200);
    expect(reports[1]!.stack).toContain('borrowInTheCheckoutHandler');
    first.release();
    second.release();
  });

  it("captures nothing with 'never' and reports nothing without leakDetectionMs", async () => {
    const never = thingPool({ leakDetectionMs: 100, leakStacks: 'never' });
    const reports = collectReports(never.pool);
    await never.pool.acquire();
    await never.clock.advanceAsync(200);
    await never.pool.acquire();
    await never.clock.advanceAsync(200);
    expect(reports.map((r) => r.stack)).toEqual([undefined, undefined]);

    const off = thingPool();
    const none = collectReports(off.pool);
    await off.pool.acquire();
    await off.clock.advanceAsync(1e9);
    expect(none).toHaveLength(0);
  });
});

describe('garbage-collected without release', () => {
  it('reports the lease and gives its slot back', async () => {
    const { pool, clock, made } = thingPool({
      max: 1,
      leakDetectionMs: 1000,
      leakStacks: 'always',
    });
    const reports = collectReports(pool);
    // Borrow in a frame of its own and drop the lease: nothing keeps it alive.
    await (async () => {
      await borrowInTheCheckoutHandler(pool);
    })();
    await clock.advanceAsync(250); // one tick: the pool stops holding the lease strongly
    await collectUntil(() => reports.length > 0);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'collected', resource: made[0] });
    expect(reports[0]!.stack).toContain('borrowInTheCheckoutHandler');
    await settle();
    expect(made[0]!.destroyed).toBe(true);
    expect(pool.stats()).toMatchObject({ borrowed: 0, leaks: 1, size: 0 });
    const next = await pool.acquire(); // max 1: only possible because the slot came back
    expect(next.value).toBe(made[1]);
  });

  it('counts a lease reported as held too long and then dropped as one leak', async () => {
    const { pool, clock } = thingPool({ max: 1, leakDetectionMs: 100 });
    const reports = collectReports(pool);
    await (async () => {
      await pool.acquire();
    })();
    await clock.advanceAsync(200);
    await collectUntil(() => reports.length > 1);
    expect(reports.map((r) => r.kind)).toEqual(['held-too-long', 'collected']);
    expect(pool.stats()).toMatchObject({ leaks: 1, borrowed: 0 });
  });

  it('does not report leases that were released, even after they are collected', async () => {
    const { pool, clock } = thingPool({ leakDetectionMs: 100 });
    const reports = collectReports(pool);
    await (async () => {
      const lease = await pool.acquire();
      await clock.advanceAsync(50); // registered with the registry at the tick
      lease.release();
      (await pool.acquire()).release(); // short borrow, never registered
    })();
    await collectUntil(() => false, 5);
    await clock.advanceAsync(1000);
    expect(reports).toHaveLength(0);
    expect(pool.stats()).toMatchObject({ leaks: 0, borrowed: 0, available: 1 });
  });
});
