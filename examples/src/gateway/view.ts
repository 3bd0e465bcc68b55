// The live terminal view: one screen redrawn in place (log-update) while stdout is a terminal,
// plain lines otherwise (CI logs, pipes), so a log never fills with escape codes.
import logUpdate from 'log-update';
import type { Counters, Sample } from './metrics.js';

const STATE_NAMES = ['closed', 'half-open', 'OPEN'];

/** Where the demo shows progress. */
export interface View {
  /** Shows the latest sample and the running totals. */
  update(sample: Sample, totals: Counters): void;
  /** Shows a moment of the story. */
  event(t: number, text: string): void;
  /** Leaves the last screen in place. */
  done(): void;
}

/** A view for `stream`: live when it is a TTY, plain lines (one per `plainEveryS`) otherwise. */
export function createView(stream: NodeJS.WriteStream = process.stdout, plainEveryS = 2): View {
  if (stream.isTTY) return liveView();
  let lastPlain = Number.NEGATIVE_INFINITY;
  return {
    update(sample, totals) {
      if (sample.t - lastPlain < plainEveryS) return;
      lastPlain = sample.t;
      stream.write(`${formatLine(sample, totals)}\n`);
    },
    event(t, text) {
      stream.write(`  ${t.toFixed(1)}s  ${text}\n`);
    },
    done() {},
  };
}

function liveView(): View {
  const recent: string[] = [];
  let last = '';
  return {
    update(sample, totals) {
      last = formatScreen(sample, totals);
      logUpdate([last, '', ...recent.slice(-8)].join('\n'));
    },
    event(t, text) {
      recent.push(`  ${t.toFixed(1)}s  ${text}`);
      logUpdate([last, '', ...recent.slice(-8)].join('\n'));
    },
    done() {
      logUpdate.done();
    },
  };
}

function formatLine(s: Sample, totals: Counters): string {
  const breakers = Object.entries(s.breakers)
    .map(([name, level]) => `${name}:${STATE_NAMES[level]}`)
    .join(' ');
  return (
    `${s.t.toFixed(1).padStart(5)}s  per second: 2xx ${perSecond(s.ok, s)} 429 ${perSecond(s.rejected, s)} 503 ${perSecond(s.unavailable, s)}` +
    `  breakers ${breakers}  db ${totals.dbQueries} for ${totals.productReads} reads` +
    `  orders ${totals.ordersExecuted} run, ${totals.ordersReplayed} replayed` +
    `  pool ${s.poolBorrowed} busy ${s.poolWaiting} waiting`
  );
}

function formatScreen(s: Sample, totals: Counters): string {
  const all = Object.values(totals.statuses).reduce((a, b) => a + b, 0);
  const shards = Object.keys(s.breakers)
    .map((name) => {
      const mode = s.shards[name] ?? '?';
      return `    shard ${name}: upstream ${mode.padEnd(5)}  breaker ${STATE_NAMES[s.breakers[name] ?? 0]}`;
    })
    .join('\n');
  return [
    `Bulwark gateway demo  ${s.t.toFixed(1)} s`,
    '',
    `  per second: 2xx ${perSecond(s.ok, s)}  429 ${perSecond(s.rejected, s)}  503 ${perSecond(s.unavailable, s)}` +
      `    responses so far ${all}`,
    `  cache:     ${totals.productReads} product reads, ${totals.dbQueries} database queries`,
    `  orders:    ${totals.ordersExecuted} executed, ${totals.ordersReplayed} replayed, ${totals.ordersConflicted} told to retry (409)`,
    `  pool:      ${s.poolBorrowed} borrowed, ${s.poolWaiting} waiting`,
    `  upstream retries: ${totals.upstreamRetries}`,
    shards,
  ].join('\n');
}

function perSecond(count: number, sample: Sample): number {
  return Math.round(count / sample.dt);
}
