// What the demo measures, sampled on a fixed tick into time series (for the live view and the
// report) plus a log of the moments that tell the story (a shard going down, a breaker opening).

/** A breaker's state as a number for charts: 0 closed, 1 half-open, 2 open. */
export const STATE_LEVEL: Record<string, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Counters the gateway and the traffic driver add to as things happen. */
export interface Counters {
  /** Responses the clients got, by status. */
  statuses: Record<number, number>;
  /** Product reads answered by the gateway (from cache or database). */
  productReads: number;
  /** Database queries (loads that reached the database). */
  dbQueries: number;
  /** Orders whose handler ran (a customer was charged). */
  ordersExecuted: number;
  /** Orders answered by replaying a stored response. */
  ordersReplayed: number;
  /** Orders refused because the same key was still running (409). */
  ordersConflicted: number;
  /** Retries made by the outbound interceptor. */
  upstreamRetries: number;
}

/** One sample: counter deltas over the tick and gauges at its end. */
export interface Sample {
  /** Seconds since the start. */
  t: number;
  /** Seconds since the previous sample (the deltas below are over this span). */
  dt: number;
  ok: number;
  rejected: number;
  unavailable: number;
  other: number;
  productReads: number;
  dbQueries: number;
  ordersExecuted: number;
  ordersReplayed: number;
  poolBorrowed: number;
  poolWaiting: number;
  /** Breaker level per shard name (see STATE_LEVEL). */
  breakers: Record<string, number>;
  /** Shard modes at the end of the tick. */
  shards: Record<string, string>;
}

/** A moment of the story. */
export interface StoryEvent {
  t: number;
  text: string;
}

/** Empty counters. */
export function newCounters(): Counters {
  return {
    statuses: {},
    productReads: 0,
    dbQueries: 0,
    ordersExecuted: 0,
    ordersReplayed: 0,
    ordersConflicted: 0,
    upstreamRetries: 0,
  };
}

/** Turns running counters into per-tick deltas. */
export class Sampler {
  readonly samples: Sample[] = [];
  readonly events: StoryEvent[] = [];
  readonly #startedAt = performance.now();
  #last = newCounters();
  #lastT = 0;

  /** Seconds since the sampler was made. */
  elapsed(): number {
    return (performance.now() - this.#startedAt) / 1000;
  }

  /** Notes a moment of the story. */
  event(text: string): StoryEvent {
    const event = { t: round(this.elapsed()), text };
    this.events.push(event);
    return event;
  }

  /** Takes one sample from the running counters and the current gauges. */
  sample(
    counters: Counters,
    gauges: Pick<Sample, 'poolBorrowed' | 'poolWaiting' | 'breakers' | 'shards'>,
  ): Sample {
    const last = this.#last;
    const status = (code: number) => (counters.statuses[code] ?? 0) - (last.statuses[code] ?? 0);
    const all = sum(counters.statuses) - sum(last.statuses);
    const ok = status(200) + status(201);
    const rejected = status(429);
    const unavailable = status(503);
    const now = this.elapsed();
    const sample: Sample = {
      t: round(now),
      dt: Math.max(0.001, now - this.#lastT),
      ok,
      rejected,
      unavailable,
      other: all - ok - rejected - unavailable,
      productReads: counters.productReads - last.productReads,
      dbQueries: counters.dbQueries - last.dbQueries,
      ordersExecuted: counters.ordersExecuted - last.ordersExecuted,
      ordersReplayed: counters.ordersReplayed - last.ordersReplayed,
      ...gauges,
    };
    this.#last = structuredClone(counters);
    this.#lastT = now;
    this.samples.push(sample);
    return sample;
  }
}

function sum(record: Record<number, number>): number {
  let total = 0;
  for (const value of Object.values(record)) total += value;
  return total;
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
