// The story the demo tells, on a schedule scaled to the run's length: traffic starts; shard b
// fails (503s), then stalls (accepts and never answers), then recovers; meanwhile a flash sale
// sends a crowd at a product whose cache entry just expired. The summary says what each
// primitive did about it, in plain words, and the report draws it.
import { writeFileSync } from 'node:fs';
import { seededRandom } from '@bulwark/test-utils/random';
import { Agent, request } from 'undici';
import { type Counters, newCounters, type Sample, Sampler, STATE_LEVEL } from './metrics.js';
import { renderReport } from './report.js';
import { driveTraffic, stampede, type TrafficTally } from './traffic.js';
import { startUpstream, type Upstream, type UpstreamMode } from './upstream.js';
import { createView, type View } from './view.js';

/** The knobs of one run. */
export interface StoryOptions {
  /** Length of the traffic, in ms. Default 20 000; the CI test uses a few seconds. */
  durationMs?: number;
  /** Seed of the request stream. */
  seed?: number;
  /** Where to write the HTML report; `false` for none. Default `demo-report.html`. */
  reportPath?: string | false;
  /** Where to show progress. Default a view on stdout; tests pass a silent one. */
  view?: View;
  /** Called once the gateways run (tests check afterwards that their processes are gone). */
  onDeployed?: (deployment: Deployment) => void;
}

/** What the gateway(s) report at each tick. */
export interface Gauges {
  poolBorrowed: number;
  poolWaiting: number;
  /** Breaker state per upstream origin. */
  breakerStates: Record<string, string>;
  /** Database loads of the flash-sale product so far. */
  flashSaleLoads: number;
  /** The cache's counters (summed over processes). */
  cache: CacheCounters;
}

/** What the summary says about the cache. */
export interface CacheCounters {
  hits: number;
  staleHits: number;
  earlyRefreshes: number;
  coalesced: number;
  l2Hits: number;
  remoteWaits: number;
}

/** The cache counters the demo shows, from a cache's `stats()`. */
export function cacheCounters(stats: CacheCounters): CacheCounters {
  const { hits, staleHits, earlyRefreshes, coalesced, l2Hits, remoteWaits } = stats;
  return { hits, staleHits, earlyRefreshes, coalesced, l2Hits, remoteWaits };
}

/** A running deployment: one gateway in memory, or several on Redis. */
export interface Deployment {
  /** Gateway base URLs. */
  urls: readonly string[];
  /** Counters the gateways add to (summed over processes in the Redis flavour). */
  counters(): Promise<Counters>;
  gauges(): Promise<Gauges>;
  /** How long a flash-sale product stays cached, in ms. */
  productTtlMs: number;
  /** The id of the flash-sale product, which only the crowd asks for. */
  flashSaleId: number;
  /** Process ids of the gateway processes it started (none in memory). */
  pids: readonly number[];
  /** Stops the gateways (and whatever they started). */
  close(): Promise<void>;
}

/** Builds the gateways once the upstream origins exist. */
export type Deploy = (
  origins: readonly string[],
  scale: Scale,
  onBreaker: (origin: string, to: string) => void,
) => Promise<Deployment>;

/** Timings derived from the run's length, so a short run tells the same story faster. */
export interface Scale {
  durationMs: number;
  /** A breaker's open time before its first probe. */
  openMs: number;
  /** Timeout of one outbound attempt (a stalled shard costs this much). */
  attemptTimeoutMs: number;
  /** Database latency. */
  dbLatencyMs: number;
  /** TTL of product entries. */
  productTtlMs: number;
}

/** What the run showed; every number a sentence of the summary rests on. */
export interface StorySummary {
  durationS: number;
  statuses: Record<number, number>;
  greedy: { sent: number; rejected: number };
  others: { sent: number; rejected: number };
  breaker: {
    shard: string;
    opened: number;
    halfOpened: number;
    closedAgainAfterRecovery: boolean;
    finalStates: Record<string, string>;
    callsWhileDown: number;
  };
  cache: {
    productReads: number;
    dbQueries: number;
    flashSaleCrowd: number;
    flashSaleLoads: number;
  } & CacheCounters;
  orders: { sent: number; executed: number; duplicates: number; replayed: number };
  pool: { peakBorrowed: number };
  lines: string[];
  samples: Sample[];
}

/** Runs the story against `deploy`'s gateways and returns its summary; stops all it started. */
export async function runStory(deploy: Deploy, options: StoryOptions = {}): Promise<StorySummary> {
  const durationMs = options.durationMs ?? 20_000;
  const scale: Scale = {
    durationMs,
    openMs: Math.max(150, durationMs / 40),
    attemptTimeoutMs: Math.max(100, durationMs / 100),
    dbLatencyMs: 25,
    productTtlMs: Math.max(1000, durationMs / 10),
  };
  const view = options.view ?? createView();
  const sampler = new Sampler();
  const note = (text: string) => {
    const event = sampler.event(text);
    view.event(event.t, text);
  };
  const shards = await Promise.all(['a', 'b', 'c'].map((name) => startUpstream(name)));
  const shardOf = new Map(shards.map((s) => [s.origin, s]));
  const breakerLog: { origin: string; to: string; t: number }[] = [];
  const clientCounters: Counters = newCounters();
  let deployment: Deployment | undefined;
  const agent = new Agent({ connections: 32 });
  const stop = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  try {
    deployment = await deploy(
      shards.map((s) => s.origin),
      scale,
      (origin, to) => {
        breakerLog.push({ origin, to, t: sampler.elapsed() });
        note(`breaker of shard ${shardOf.get(origin)?.name ?? origin} is ${to}`);
      },
    );
    const d = deployment;
    options.onDeployed?.(d);
    const failing = shards[1]!;
    const at = (fraction: number, fn: () => void) =>
      timers.push(setTimeout(fn, fraction * durationMs));
    const setMode = (shard: Upstream, mode: UpstreamMode, why: string) => {
      shard.mode = mode;
      note(`shard ${shard.name} ${why}`);
    };
    let recoveredAt = Number.POSITIVE_INFINITY;
    at(0.15, () => {
      setMode(failing, 'fail', 'goes down: every call gets 503');
    });
    at(0.3, () => setMode(failing, 'stall', 'stalls: calls hang until their timeout'));
    at(0.55, () => {
      recoveredAt = sampler.elapsed();
      setMode(failing, 'ok', 'recovers');
    });

    // The flash sale: warm the product, let its entry expire, then send the crowd at once.
    const crowd = 300;
    let flashSaleLoads = 0;
    // A socket per member of the crowd, so all of it is in flight at once, as a real one is.
    const crowdAgent = new Agent({ connections: crowd });
    const flashSale = (async () => {
      await sleep(0.4 * durationMs);
      await stampede(d.urls[0]!, d.flashSaleId, 1, agent, clientCounters);
      const before = (await d.gauges()).flashSaleLoads;
      await sleep(d.productTtlMs * 1.5);
      note(
        `flash sale: ${crowd} clients ask for product ${d.flashSaleId} the moment its cache entry has expired`,
      );
      await Promise.all(
        d.urls.map((url) =>
          stampede(
            url,
            d.flashSaleId,
            Math.ceil(crowd / d.urls.length),
            crowdAgent,
            clientCounters,
          ),
        ),
      );
      flashSaleLoads = (await d.gauges()).flashSaleLoads - before;
      note(`flash sale served with ${flashSaleLoads} database load(s)`);
    })().finally(() => crowdAgent.close());

    let peakBorrowed = 0;
    const tick = Math.max(100, durationMs / 80);
    const merged = async (): Promise<Counters> => ({
      ...(await d.counters()),
      statuses: clientCounters.statuses,
      ordersReplayed: clientCounters.ordersReplayed,
    });
    let samplingNow = false;
    const sampling = setInterval(() => {
      // Gauges of remote gateways take a round trip; never let two samples overlap.
      if (samplingNow) return;
      samplingNow = true;
      void Promise.all([merged(), d.gauges()])
        .then(([counters, gauges]) => {
          peakBorrowed = Math.max(peakBorrowed, gauges.poolBorrowed);
          const sample = sampler.sample(counters, {
            poolBorrowed: gauges.poolBorrowed,
            poolWaiting: gauges.poolWaiting,
            breakers: Object.fromEntries(
              shards.map((s) => [
                s.name,
                STATE_LEVEL[gauges.breakerStates[s.origin] ?? 'closed'] ?? 0,
              ]),
            ),
            shards: Object.fromEntries(shards.map((s) => [s.name, s.mode])),
          });
          view.update(sample, counters);
        })
        // A gateway that did not answer this tick is sampled at the next one.
        .catch(() => {})
        .finally(() => {
          samplingNow = false;
        });
    }, tick);

    const random = seededRandom(options.seed ?? 42);
    timers.push(setTimeout(() => stop.abort(), durationMs));
    note(`traffic starts: ${d.urls.length} gateway(s), 3 upstream shards`);
    const tally: TrafficTally = await driveTraffic(
      {
        urls: d.urls,
        dispatcher: agent,
        // At most ~16 requests a second per worker, ~11 per client: within every client's limit.
        workers: 6,
        paceMs: 60,
        clients: 10,
        products: 200,
        duplicateEvery: 3,
        random,
        signal: stop.signal,
      },
      // The clients count what they saw (statuses, replays); the gateways count the rest.
      clientCounters,
    );
    await flashSale;
    // A breaker closes on a successful probe, and probes ride on traffic: if the run ended
    // before the recovered shard's probe was due, send a few more stock reads.
    await settleBreakers(d, failing.origin, agent, scale);
    clearInterval(sampling);
    note('traffic stops');

    const counters = await merged();
    const gauges = await d.gauges();
    const finalStates = Object.fromEntries(
      shards.map((s) => [s.name, gauges.breakerStates[s.origin] ?? 'closed']),
    );
    const failingLog = breakerLog.filter((e) => e.origin === failing.origin);
    const greedy = tally.perClient.get('client-0') ?? { sent: 0, rejected: 0 };
    const others = [...tally.perClient]
      .filter(([c]) => c !== 'client-0')
      .reduce((sum, [, v]) => ({ sent: sum.sent + v.sent, rejected: sum.rejected + v.rejected }), {
        sent: 0,
        rejected: 0,
      });
    const summary: StorySummary = {
      durationS: Math.round(sampler.elapsed() * 10) / 10,
      statuses: { ...clientCounters.statuses },
      greedy,
      others,
      breaker: {
        shard: failing.name,
        opened: failingLog.filter((e) => e.to === 'open').length,
        halfOpened: failingLog.filter((e) => e.to === 'half-open').length,
        closedAgainAfterRecovery: failingLog.some((e) => e.to === 'closed' && e.t >= recoveredAt),
        finalStates,
        callsWhileDown: failing.received.fail + failing.received.stall,
      },
      cache: {
        productReads: counters.productReads,
        dbQueries: counters.dbQueries,
        flashSaleCrowd: crowd,
        flashSaleLoads,
        ...gauges.cache,
      },
      orders: {
        sent: tally.orders,
        executed: counters.ordersExecuted,
        duplicates: tally.duplicates,
        replayed: tally.replays,
      },
      pool: { peakBorrowed },
      lines: [],
      samples: sampler.samples,
    };
    summary.lines = explain(summary);
    view.done();
    if (options.reportPath !== false) {
      writeFileSync(
        options.reportPath ?? 'demo-report.html',
        renderReport({
          title: 'Bulwark gateway demo',
          summary: summary.lines,
          samples: sampler.samples,
          events: sampler.events,
        }),
      );
    }
    return summary;
  } finally {
    stop.abort();
    for (const timer of timers) clearTimeout(timer);
    await agent.close();
    await deployment?.close();
    await Promise.all(shards.map((s) => s.close()));
  }
}

async function settleBreakers(
  d: Deployment,
  origin: string,
  agent: Agent,
  scale: Scale,
): Promise<void> {
  for (let round = 0; round < 20; round++) {
    if (((await d.gauges()).breakerStates[origin] ?? 'closed') === 'closed') return;
    await sleep(scale.openMs / 2);
    // Ids 1..20 cover every shard; the ones on the recovered shard carry the probe.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(`${d.urls[0]}/stock/${i + 1}`, {
          dispatcher: agent,
          headers: { 'x-client': 'settle' },
        }).then(
          (r) => r.body.dump(),
          () => {},
        ),
      ),
    );
  }
}

function explain(s: StorySummary): string[] {
  return [
    `Rate limiter: the greedy client sent ${s.greedy.sent} requests and ${s.greedy.rejected} were refused with 429 and Retry-After; the other clients got ${s.others.rejected} refusals for ${s.others.sent} requests.`,
    `Circuit breaker: shard ${s.breaker.shard} failed, then stalled. Its breaker opened ${s.breaker.opened} time(s), so most requests for its products got an immediate 503 instead of waiting on a dead shard; it reached the shard only ${s.breaker.callsWhileDown} times while the shard was broken, and after the shard recovered a probe succeeded and the circuit ${s.breaker.closedAgainAfterRecovery ? 'closed again' : 'had not closed yet'}.`,
    `Cache: ${s.cache.productReads} product reads needed ${s.cache.dbQueries} database queries; XFetch refreshed hot products ${s.cache.earlyRefreshes} times shortly before they expired, so their readers never waited on a load. When ${s.cache.flashSaleCrowd} clients asked for a product whose entry had just expired, single-flight made that ${s.cache.flashSaleLoads} database load (${s.cache.coalesced} reads in all joined a load already running)${s.cache.l2Hits + s.cache.remoteWaits > 0 ? `; across processes, ${s.cache.l2Hits} misses were answered by Redis and ${s.cache.remoteWaits} waited for another process's load` : ''}.`,
    `Idempotency: ${s.orders.duplicates} orders were sent twice with the same Idempotency-Key; ${s.orders.replayed} of the second attempts got the stored response back (Idempotent-Replayed: true), so ${s.orders.sent} orders charged customers ${s.orders.executed} times.`,
    `Pool: the database was reached through at most ${s.pool.peakBorrowed} connections at a time.`,
  ];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
