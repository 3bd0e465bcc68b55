import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sample } from '../src/gateway/metrics.js';
import { renderReport } from '../src/gateway/report.js';

/** Debian's chromium, which .ci/run installs with apt-get. */
export function chromiumPath(): string | undefined {
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Opens `file` in headless chromium; returns the charts the page drew and what it logged. */
export async function openReport(file: string): Promise<{
  charts: { title: string; points: number; canvases: number }[];
  errors: string[];
}> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium is not installed (apt-get install -y chromium)');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(pathToFileURL(file).href);
    // The page script sets `__charts` once every chart is drawn (the callbacks run in the page).
    await page.waitForFunction('window.__charts !== undefined');
    const charts = (await page.evaluate('window.__charts')) as {
      title: string;
      points: number;
      canvases: number;
    }[];
    return { charts, errors };
  } finally {
    await browser.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bulwark-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo-report.html', () => {
  it('renders every chart with data in a real browser, offline, with no page errors', async () => {
    const samples: Sample[] = Array.from({ length: 20 }, (_, i) => ({
      t: i * 0.25,
      ok: 40 + i,
      rejected: i % 3,
      unavailable: i > 5 && i < 12 ? 7 : 0,
      other: 0,
      productReads: 30,
      dbQueries: 3,
      ordersExecuted: 2,
      ordersReplayed: 1,
      poolBorrowed: i % 4,
      poolWaiting: 0,
      breakers: { a: 0, b: i > 6 && i < 12 ? 2 : 0, c: 0 },
      shards: { a: 'ok', b: i > 5 && i < 12 ? 'fail' : 'ok', c: 'ok' },
    }));
    const file = join(dir, 'report.html');
    // A `</script>` in the data must not end the data block early.
    writeFileSync(
      file,
      renderReport({
        title: 'test </script> report',
        summary: ['one line', '<b>not bold</b>'],
        samples,
        events: [{ t: 1, text: 'shard b goes down </script>' }],
      }),
    );
    const { charts, errors } = await openReport(file);
    expect(errors).toEqual([]);
    expect(charts).toHaveLength(5);
    for (const chart of charts) {
      expect(chart.canvases).toBeGreaterThan(0);
      expect(chart.points).toBeGreaterThan(0);
    }
  });
});
