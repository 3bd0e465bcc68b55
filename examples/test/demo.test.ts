import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRedis } from '@bulwark/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { deployInMemory } from '../src/gateway/deploy-memory.js';
import { deployOnRedis } from '../src/gateway/deploy-redis.js';
import { runStory, type StorySummary } from '../src/gateway/story.js';
import type { View } from '../src/gateway/view.js';
import { openReport } from './browser.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const silent: View = { update() {}, event() {}, done() {} };

// The story's assertions, the same for both flavours. Timing on a loaded CI machine is loose,
// so each claim is about what happened, not when: the breaker may open more than once, but it
// must have opened and, after the shard recovered, closed again.
function expectTheWholeStory(summary: StorySummary): void {
  const total = Object.values(summary.statuses).reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThan(100);
  // The gateway always answered: no request died without a status.
  expect(summary.statuses[0] ?? 0).toBe(0);
  // Limits honoured: the greedy client was refused, the others hardly ever.
  expect(summary.greedy.rejected).toBeGreaterThan(0);
  expect(summary.others.rejected / Math.max(1, summary.others.sent)).toBeLessThan(
    summary.greedy.rejected / summary.greedy.sent,
  );
  // The failing shard's breaker opened, and closed again after the shard came back.
  expect(summary.breaker.opened).toBeGreaterThanOrEqual(1);
  expect(summary.breaker.closedAgainAfterRecovery).toBe(true);
  expect(summary.breaker.finalStates[summary.breaker.shard]).toBe('closed');
  // The stampede on an expired key was one load.
  expect(summary.cache.flashSaleLoads).toBe(1);
  expect(summary.cache.dbQueries).toBeLessThan(summary.cache.productReads);
  // Duplicates were replayed, never re-executed: one charge per distinct order.
  expect(summary.orders.duplicates).toBeGreaterThan(0);
  expect(summary.orders.replayed).toBe(summary.orders.duplicates);
  expect(summary.orders.executed).toBe(summary.orders.sent);
  expect(summary.lines).toHaveLength(5);
}

describe('the demo, in memory', () => {
  it('tells the whole story in a short run, and its report renders in chromium', async () => {
    const reportPath = join(dir, 'demo-report.html');
    const summary = await runStory(deployInMemory, {
      durationMs: 4000,
      reportPath,
      view: silent,
      seed: 7,
    });
    expectTheWholeStory(summary);
    expect(existsSync(reportPath)).toBe(true);
    const { charts, errors } = await openReport(reportPath);
    expect(errors).toEqual([]);
    expect(charts.every((c) => c.points > 0 && c.canvases > 0)).toBe(true);
  }, 60_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeRedis('the demo, three gateways on one Redis', (targets) => {
  it('tells the same story with shared limits, cache, idempotency and breakers', async () => {
    let pids: readonly number[] = [];
    const summary = await runStory(deployOnRedis(targets.standalone.url), {
      durationMs: 6000,
      reportPath: false,
      view: silent,
      seed: 11,
      onDeployed: (d) => {
        pids = d.pids;
      },
    });
    expectTheWholeStory(summary);
    // Every gateway process the run started has exited.
    expect(pids).toHaveLength(3);
    expect(pids.filter(alive)).toEqual([]);
  }, 90_000);
});
