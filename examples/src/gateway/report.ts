// demo-report.html: the run's time series as charts, drawn by uPlot, with uPlot's script and
// stylesheet inlined so the file opens offline from anywhere. The data goes in as JSON; the page
// builds one chart per question a reader asks ("did the limiter hold?", "did the breaker close
// again?", "did the cache spare the database?", "were duplicate orders charged twice?").
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Sample, StoryEvent } from './metrics.js';

const require = createRequire(import.meta.url);

/** Everything the report shows. */
export interface ReportData {
  title: string;
  /** Plain-language lines of the summary, shown above the charts. */
  summary: string[];
  samples: Sample[];
  events: StoryEvent[];
}

/** The report as one self-contained HTML document. */
export function renderReport(data: ReportData): string {
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  // `</script` inside JSON would end the script element early; escape every `<`.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(data.title)}</title>
<style>${uplotCss}</style>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 980px; color: #222; }
  h1 { font-size: 22px; } h2 { font-size: 16px; margin: 28px 0 4px; }
  p.why { margin: 0 0 8px; color: #555; }
  ul.summary li { margin: 2px 0; }
  table.events { border-collapse: collapse; font-size: 13px; }
  table.events td { padding: 1px 10px 1px 0; vertical-align: top; }
</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<ul class="summary" id="summary"></ul>
<div id="charts"></div>
<h2>What happened, in order</h2>
<table class="events" id="events"></table>
<script>${uplotJs}</script>
<script id="data" type="application/json">${json}</script>
<script>${pageScript}</script>
</body>
</html>
`;
}

// Runs in the browser: reads the JSON and draws the charts. Written as a plain string so the
// report needs no bundler.
const pageScript = `
const data = JSON.parse(document.getElementById('data').textContent);
const t = data.samples.map((s) => s.t);
const list = document.getElementById('summary');
for (const line of data.summary) { const li = document.createElement('li'); li.textContent = line; list.appendChild(li); }
const events = document.getElementById('events');
for (const e of data.events) { const tr = events.insertRow(); tr.insertCell().textContent = e.t.toFixed(2) + ' s'; tr.insertCell().textContent = e.text; }
const palette = ['#2a9d8f', '#e76f51', '#e9c46a', '#264653', '#8e44ad', '#3498db'];
const charts = [];
function chart(title, why, series, extra) {
  const box = document.createElement('div');
  const h = document.createElement('h2'); h.textContent = title; box.appendChild(h);
  const p = document.createElement('p'); p.className = 'why'; p.textContent = why; box.appendChild(p);
  document.getElementById('charts').appendChild(box);
  const opts = Object.assign({
    width: Math.min(940, window.innerWidth - 40), height: 220,
    series: [{ label: 't (s)' }].concat(series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2, dash: s.dash, paths: s.steps ? uPlot.paths.stepped({ align: 1 }) : undefined }))),
    scales: { x: { time: false } },
    axes: [{ label: 'seconds since start' }, {}],
  }, extra || {});
  const plot = new uPlot(opts, [t].concat(series.map((s) => s.values)), box);
  charts.push({ title, plot, points: series.reduce((n, s) => n + s.values.length, 0) });
}
const perSecond = (k) => data.samples.map((s) => Math.round(s[k] / s.dt));
chart('Responses per second, by status', 'Served (2xx), refused by the per-client rate limit (429), and answered fast with 503 while an upstream shard was cut off.',
  [{ label: '2xx', values: perSecond('ok') }, { label: '429', values: perSecond('rejected') }, { label: '503', values: perSecond('unavailable') }, { label: 'other', values: perSecond('other') }]);
const shardNames = Object.keys(data.samples[0] ? data.samples[0].breakers : {});
const brokenShards = shardNames.filter((n) => data.samples.some((s) => s.shards[n] !== 'ok'));
chart('Circuit breaker per upstream shard (0 closed, 1 half-open, 2 open)', 'A shard that fails or stalls trips its breaker; probes go through when the open time is up, and the circuit closes after the shard recovers. The dashed line is when the shard itself was broken.',
  shardNames.map((n) => ({ label: 'breaker ' + n, values: data.samples.map((s) => s.breakers[n]), steps: true }))
    .concat(brokenShards.map((n) => ({ label: 'shard ' + n + ' broken', values: data.samples.map((s) => (s.shards[n] === 'ok' ? 0 : 2.3)), steps: true, dash: [6, 4] }))),
  { scales: { x: { time: false }, y: { range: [-0.1, 2.5] } } });
chart('Product reads vs database queries per second', 'The read-through cache answers most reads; single-flight turns a stampede on an expiring hot key into one query, and XFetch refreshes hot keys early.',
  [{ label: 'product reads', values: perSecond('productReads') }, { label: 'database queries', values: perSecond('dbQueries') }]);
chart('Orders per second: executed vs replayed', 'A client that retries an order with the same Idempotency-Key gets the stored response back; the customer is charged once.',
  [{ label: 'executed (charged)', values: perSecond('ordersExecuted') }, { label: 'replayed', values: perSecond('ordersReplayed') }]);
chart('Database pool', 'Connections lent out, and callers waiting for one.',
  [{ label: 'borrowed', values: data.samples.map((s) => s.poolBorrowed) }, { label: 'waiting', values: data.samples.map((s) => s.poolWaiting) }]);
window.__charts = charts.map((c) => ({ title: c.title, points: c.points, canvases: c.plot.root.querySelectorAll('canvas').length }));
`;

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );
}
