// Simulates one hot key read by a fleet and draws the loader calls per expiry as an SVG:
//   no protection    every read that finds the value expired runs the loader;
//   single-flight    each process runs one load at a time per key (the others wait for it);
//   XFetch           single-flight, plus XFetch's early refresh (β = 1) on hits;
//   XFetch + lease   as the /redis tier does it: one load at a time per key across the fleet.
// The fleet shares one store (as processes sharing Redis without a lease would), so single-flight
// alone still loads once per process per expiry; XFetch spreads the refresh before expiry so one
// process usually refreshes alone. Time is simulated (no clocks, no sleeps), the draws seeded.
// Usage (after npm run build): node packages/cache/bench/xfetch-chart.mjs [out.svg]
import { writeFileSync } from 'node:fs';
import { refreshesEarly } from '@bulwark/cache';

const PROCESSES = 10;
const TTL_MS = 5_000;
const DELTA_MS = 100;
const EXPIRIES = 60;
const RATES = [1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000]; // reads per second, whole fleet

// A small seeded generator (mulberry32), so the chart is the same on every run.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function simulate(strategy, ratePerSecond, seed) {
  const random = seeded(seed);
  const duration = EXPIRIES * TTL_MS;
  const loadingUntil = new Float64Array(PROCESSES); // when each process's load ends (0: none)
  let expiry = TTL_MS; // the store holds a value fresh until then
  let calls = 0;
  const pending = []; // [endsAt, process] of loads in flight
  const finishLoads = (now) => {
    for (let i = pending.length - 1; i >= 0; i--) {
      const [endsAt, process] = pending[i];
      if (endsAt > now) continue;
      expiry = Math.max(expiry, endsAt + TTL_MS);
      if (loadingUntil[process] === endsAt) loadingUntil[process] = 0;
      pending.splice(i, 1);
    }
  };
  const load = (now, process) => {
    calls++;
    loadingUntil[process] = now + DELTA_MS;
    pending.push([now + DELTA_MS, process]);
  };
  for (let now = 0; ; ) {
    now += (-Math.log(1 - random()) / ratePerSecond) * 1000; // Poisson arrivals
    if (now > duration) break;
    finishLoads(now);
    const process = Math.floor(random() * PROCESSES);
    const busy = strategy === 'lease' ? pending.length > 0 : loadingUntil[process] > now;
    if (now < expiry) {
      if (
        (strategy === 'xfetch' || strategy === 'lease') &&
        !busy &&
        refreshesEarly(now, expiry, DELTA_MS, 1, random)
      )
        load(now, process);
    } else if (strategy === 'none' || !busy) {
      load(now, process);
    }
  }
  return calls / EXPIRIES;
}

const series = [
  { name: 'no protection', key: 'none', color: '#c0392b' },
  { name: 'single-flight (per process)', key: 'single-flight', color: '#2471a3' },
  { name: 'single-flight + XFetch', key: 'xfetch', color: '#1e8449' },
  { name: 'XFetch + Redis lease (/redis)', key: 'lease', color: '#7d3c98' },
].map((s) => ({ ...s, points: RATES.map((rate, i) => [rate, simulate(s.key, rate, 17 + i)]) }));

// --- the SVG: log-log axes ---------------------------------------------------------------------
const W = 640;
const H = 360;
const M = { left: 64, right: 16, top: 40, bottom: 48 };
const xOf = (rate) =>
  M.left + ((Math.log10(rate) - 0) / (Math.log10(RATES.at(-1)) - 0)) * (W - M.left - M.right);
const yMax = 10_000;
const yMin = 0.1;
const yOf = (calls) =>
  H -
  M.bottom -
  ((Math.log10(Math.max(calls, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) *
    (H - M.top - M.bottom);

const parts = [];
parts.push(
  `<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
  `<title>Loader calls per expiry against read rate for no protection, single-flight, XFetch and XFetch with a Redis lease</title>`,
  `<rect width="${W}" height="${H}" fill="#fff"/>`,
  `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">Loader calls per expiry: one hot key, ${PROCESSES} processes, δ = ${DELTA_MS} ms, TTL ${TTL_MS / 1000} s</text>`,
);
for (const tick of [0.1, 1, 10, 100, 1_000, 10_000]) {
  const y = yOf(tick).toFixed(1);
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
    `<text x="${M.left - 6}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end">${tick.toLocaleString('en')}</text>`,
  );
}
for (const rate of [1, 10, 100, 1_000, 10_000]) {
  const x = xOf(rate);
  parts.push(
    `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`,
    `<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${rate.toLocaleString('en')}</text>`,
  );
}
parts.push(
  `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">reads per second (whole fleet)</text>`,
  `<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">loader calls per expiry</text>`,
);
series.forEach((s, i) => {
  const path = s.points.map(([r, c]) => `${xOf(r).toFixed(1)},${yOf(c).toFixed(1)}`).join(' ');
  parts.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
  for (const [r, c] of s.points)
    parts.push(
      `<circle cx="${xOf(r).toFixed(1)}" cy="${yOf(c).toFixed(1)}" r="3" fill="${s.color}"/>`,
    );
  const ly = M.top + 8 + i * 18;
  parts.push(
    `<line x1="${M.left + 12}" x2="${M.left + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
    `<text x="${M.left + 42}" y="${ly + 4}">${s.name}</text>`,
  );
});
parts.push('</svg>');

const out = process.argv[2] ?? new URL('../xfetch-chart.svg', import.meta.url);
writeFileSync(out, `${parts.join('\n')}\n`);
for (const s of series)
  console.log(s.name.padEnd(30), s.points.map(([r, c]) => `${r}/s: ${c.toFixed(1)}`).join('  '));
