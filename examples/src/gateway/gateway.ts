// The gateway: a small HTTP API composed the way a real service would be. Each Bulwark package
// does one job:
//
//   rate-limiter     a token bucket per client in front of everything (429 + RateLimit headers)
//   idempotency      POST /orders keyed by Idempotency-Key: a retried order is replayed, not re-run
//   cache            GET /products/:id read through a cache: single-flight, XFetch early refresh
//   pool             the slow database behind the cache, a few connections, leak detection
//   consistent-hash  GET /stock/:id goes to the upstream shard that owns the id
//   retry            outbound calls through undici with retries and a timeout per attempt ...
//   circuit-breaker  ... and a breaker per shard, so a shard that is down is not called for a while
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HashRing } from '@bulwark/consistent-hash';
import type { RateLimiter } from '@bulwark/rate-limiter';
import { withRateLimit } from '@bulwark/rate-limiter/http';
import { type Dispatcher, request } from 'undici';
import type { Database } from './database.js';
import type { Counters } from './metrics.js';

/** A product as the API serves it. */
export interface Product {
  id: number;
  name: string;
  price: number;
}

/** What the gateway is built from; memory and Redis flavours differ only here. */
export interface GatewayParts {
  /** Per-client limiter. */
  limiter: RateLimiter;
  /** Reads a product through the cache, loading it with `load` on a miss. */
  readProduct(id: number, load: (signal: AbortSignal) => Promise<Product>): Promise<Product>;
  /** Wraps the orders handler with Idempotency-Key handling. */
  idempotent(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): (req: IncomingMessage, res: ServerResponse) => void;
  /** The outbound dispatcher: undici with the retry + timeout + breaker interceptor. */
  upstream: Dispatcher;
  /** The ring of upstream origins. */
  ring: HashRing<string>;
  /** The database (and its pool). */
  db: Database;
  /** What `GET /_stats` answers (the Redis flavour's parent process reads it); none by default. */
  stats?: () => unknown;
}

/** A running gateway. */
export interface Gateway {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the gateway on a free loopback port (or `port`). */
export async function startGateway(
  parts: GatewayParts,
  counters: Counters,
  port = 0,
): Promise<Gateway> {
  const { db, ring, upstream } = parts;

  const loadProduct = (id: number) => (_signal: AbortSignal) =>
    db.pool.use(async (connection) => {
      counters.dbQueries++;
      return connection.product(id);
    });

  async function getProduct(id: number, res: ServerResponse): Promise<void> {
    const product = await parts.readProduct(id, loadProduct(id));
    counters.productReads++;
    json(res, 200, product);
  }

  async function getStock(id: number, res: ServerResponse): Promise<void> {
    const { statusCode, body } = await request(`${ring.get(String(id))}/stock/${id}`, {
      dispatcher: upstream,
    });
    if (statusCode !== 200) {
      await body.dump();
      throw new Error(`upstream answered ${statusCode}`);
    }
    json(res, 200, await body.json());
  }

  let orderNumber = 0;
  const createOrder = parts.idempotent((req, res) => {
    // The idempotency middleware read the body to fingerprint the request and left it on req.body.
    const read = (req as { body?: Buffer }).body;
    (read ? Promise.resolve(read.toString('utf8')) : readBody(req)).then(
      (body) => {
        // The side effect a retry must not repeat: charging the customer.
        counters.ordersExecuted++;
        const order = { order: ++orderNumber, items: JSON.parse(body || '{}').items ?? [] };
        json(res, 201, order);
      },
      () => json(res, 400, { error: 'unreadable body' }),
    );
  });

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const product = /^\/products\/(\d+)$/.exec(url);
    const stock = /^\/stock\/(\d+)$/.exec(url);
    if (req.method === 'GET' && product)
      void getProduct(Number(product[1]), res).catch(() => unavailable(res));
    else if (req.method === 'GET' && stock)
      void getStock(Number(stock[1]), res).catch(() => unavailable(res));
    else if (req.method === 'POST' && url === '/orders') createOrder(req, res);
    else if (req.method === 'GET' && url === '/_stats' && parts.stats)
      json(res, 200, parts.stats());
    else json(res, 404, { error: 'not found' });
  };

  const server: Server = createServer(
    withRateLimit(route, {
      limiter: parts.limiter,
      key: (req) => String(req.headers['x-client'] ?? req.socket.remoteAddress),
      skip: (req) => req.url === '/_stats',
    }),
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// An open breaker, a shard that stayed down or stalled: answer fast and say when to come back.
function unavailable(res: ServerResponse): void {
  if (!res.headersSent)
    res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' });
  res.end('{"error":"upstream unavailable"}');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
