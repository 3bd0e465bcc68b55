// The clients: a bounded number of workers sending requests to the gateway(s) until a deadline,
// the way a real population of clients would: mostly product reads (a few hot products), stock
// look-ups that go to the upstream shards, and orders, each worker pausing between requests.
// Client 0 is greedy: a worker of its own sends product reads back to back, far over its
// limit, so the rate limiter has someone to refuse. Some orders are sent twice with the
// same Idempotency-Key, as a client does when its first attempt's response was lost.
import { randomUUID } from 'node:crypto';
import { type Dispatcher, request } from 'undici';
import type { Counters } from './metrics.js';

/** How the clients behave. */
export interface TrafficOptions {
  /** Gateway base URLs; requests go round-robin over them. */
  urls: readonly string[];
  /** Undici dispatcher the clients use. */
  dispatcher: Dispatcher;
  /** Requests in flight at most. */
  workers: number;
  /** Pause of each worker between its requests, in ms. */
  paceMs: number;
  /** Clients: client 0 is the greedy one, the workers take turns as the others. */
  clients: number;
  /** Products 1..products are read, low ids far more often. */
  products: number;
  /** Every so many accepted orders, one is sent again with the same key after its answer. */
  duplicateEvery: number;
  /** A random source in [0, 1). */
  random: () => number;
  /** Stops sending (checked before every request). */
  signal: AbortSignal;
}

/** Where the clients' answers are counted. */
export interface TrafficTally {
  /** Requests each client sent, and how many got 429. */
  perClient: Map<string, { sent: number; rejected: number }>;
  /** Orders accepted (201) on their first attempt, and second attempts the gateway answered. */
  orders: number;
  duplicates: number;
  /** Duplicates answered with `Idempotent-Replayed: true`. */
  replays: number;
}

/** Runs the workers until `signal` aborts; resolves when every request in flight has ended. */
export async function driveTraffic(
  options: TrafficOptions,
  counters: Counters,
): Promise<TrafficTally> {
  const tally: TrafficTally = { perClient: new Map(), orders: 0, duplicates: 0, replays: 0 };
  let next = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function send(
    client: string,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<{ status: number; replayed: boolean }> {
    const url = options.urls[next++ % options.urls.length]!;
    const perClient = tally.perClient.get(client) ?? { sent: 0, rejected: 0 };
    tally.perClient.set(client, perClient);
    perClient.sent++;
    try {
      const response = await request(url + path, {
        method,
        headers: {
          'x-client': client,
          ...headers,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body,
        dispatcher: options.dispatcher,
      });
      await response.body.dump();
      const status = response.statusCode;
      counters.statuses[status] = (counters.statuses[status] ?? 0) + 1;
      if (status === 429) perClient.rejected++;
      return { status, replayed: response.headers['idempotent-replayed'] === 'true' };
    } catch {
      // The gateway itself did not answer (it never should): count it as a status 0.
      counters.statuses[0] = (counters.statuses[0] ?? 0) + 1;
      return { status: 0, replayed: false };
    }
  }

  async function order(client: string): Promise<void> {
    const key = randomUUID();
    const body = JSON.stringify({ items: [1 + Math.floor(options.random() * options.products)] });
    const headers = { 'idempotency-key': `"${key}"` };
    const first = await send(client, 'POST', '/orders', headers, body);
    // A refused order (429) charged nobody and has nothing to replay.
    if (first.status !== 201) return;
    tally.orders++;
    // Every `duplicateEvery`-th order's answer is "lost", so the client sends it again.
    if (tally.orders % options.duplicateEvery !== 0) return;
    // The client never saw that answer (say, a timeout) and tries again with the same key.
    const again = await send(client, 'POST', '/orders', headers, body);
    if (again.status === 429) return;
    tally.duplicates++;
    if (again.replayed) {
      tally.replays++;
      counters.ordersReplayed++;
    }
  }

  async function worker(index: number): Promise<void> {
    let i = index;
    while (!options.signal.aborted) {
      i += options.workers;
      const client = `client-${1 + (i % (options.clients - 1))}`;
      const pick = options.random();
      // Low ids far more often: a few hot products, a long tail.
      const id = 1 + Math.floor(options.products * options.random() ** 3);
      if (pick < 0.5) await send(client, 'GET', `/products/${id}`);
      else if (pick < 0.8) await send(client, 'GET', `/stock/${id}`);
      else await order(client);
      if (options.paceMs > 0) await sleep(options.paceMs);
    }
  }

  async function greedy(): Promise<void> {
    // Two loops with hardly a pause: far over a limit of 20 a second, so most are refused.
    while (!options.signal.aborted) {
      await send('client-0', 'GET', '/products/1');
      await sleep(5);
    }
  }

  await Promise.all([
    greedy(),
    greedy(),
    ...Array.from({ length: options.workers }, (_, index) => worker(index)),
  ]);
  return tally;
}

/**
 * A stampede: `n` clients ask for the same product at once, right after its cache entry
 * expired (the caller waits for that). Resolves with the statuses they got.
 */
export async function stampede(
  url: string,
  productId: number,
  n: number,
  dispatcher: Dispatcher,
  counters: Counters,
): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const response = await request(`${url}/products/${productId}`, {
        // One client each, as a flash crowd would be: none of them is over its own limit.
        headers: { 'x-client': `flash-${i}` },
        dispatcher,
      });
      await response.body.dump();
      counters.statuses[response.statusCode] = (counters.statuses[response.statusCode] ?? 0) + 1;
      return response.statusCode;
    }),
  );
}
