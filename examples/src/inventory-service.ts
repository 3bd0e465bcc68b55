// A stand-in for a downstream service: one shard of an inventory service on loopback, which
// answers `GET /stock/<id>` and can be switched down (503) and back up by the demo.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One running shard. */
export interface InventoryShard {
  /** The shard's name, as it appears in its answers. */
  readonly name: string;
  /** `http://127.0.0.1:<port>`: the origin, which the breaker is kept per. */
  readonly origin: string;
  /** While true, every request gets a 503. */
  down: boolean;
  /** Requests that reached this shard, answered or not. */
  requests: number;
  /** Of those, the ones that came while it was down. */
  requestsWhileDown: number;
  close(): Promise<void>;
}

/** Starts a shard on a free loopback port. */
export async function startInventoryShard(name: string): Promise<InventoryShard> {
  let server: Server;
  const shard: InventoryShard = {
    name,
    origin: '',
    down: false,
    requests: 0,
    requestsWhileDown: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server = createServer((req, res) => {
    shard.requests++;
    if (shard.down) {
      shard.requestsWhileDown++;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('shard down');
      return;
    }
    const id = Number(req.url?.split('/').pop());
    // Stock is a pure function of the id, so every shard (and the test) agrees on it.
    const body = JSON.stringify({ id, stock: (id * 7919) % 100, shard: name });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (shard as { origin: string }).origin = `http://127.0.0.1:${port}`;
  return shard;
}
