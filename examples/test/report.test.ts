import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sample } from '../src/gateway/metrics.js';
import { renderReport } from '../src/gateway/report.js';

import { openReport } from './browser.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo-report.html', () => {
  it('renders every chart with data in a real browser, offline, with no page errors', async () => {
    const samples: Sample[] = Array.from({ length: 20 }, (_, i) => ({
      t: i * 0.25,
      dt: 0.25,
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
