// A flaky upstream: one shard of an inventory service on loopback. `GET /stock/<id>` answers the
// stock of a product. The demo switches a shard between three modes on a schedule, the way real
// dependencies misbehave: `ok`, `fail` (503 at once) and `stall` (accepts the request and never
// answers, so only a timeout frees the caller).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a shard answers right now. */
export type UpstreamMode = 'ok' | 'fail' | 'stall';

/** One running shard. */
export interface Upstream {
  /** The shard's name (`a`, `b`, ...). */
  readonly name: string;
  /** `http://127.0.0.1:<port>`: the origin, which breakers are kept per. */
  readonly origin: string;
  /** How it answers; the demo's schedule changes it. */
  mode: UpstreamMode;
  /** Requests that reached it, by the mode it was in. */
  readonly received: Record<UpstreamMode, number>;
  /** Stops it, freeing stalled requests. */
  close(): Promise<void>;
}

/** Starts a shard on a free loopback port. */
export async function startUpstream(name: string): Promise<Upstream> {
  const stalled = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const mode = upstream.mode;
    upstream.received[mode]++;
    if (mode === 'fail') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('shard down');
      return;
    }
    if (mode === 'stall') {
      // Hold the request open; the caller's timeout (or close()) ends it.
      stalled.add(res);
      res.on('close', () => stalled.delete(res));
      return;
    }
    const id = Number(req.url?.split('/').pop());
    // Stock is a pure function of the id, so every shard (and every test) agrees on it.
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id, stock: (id * 7919) % 100, shard: name }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const upstream: Upstream = {
    name,
    origin: `http://127.0.0.1:${port}`,
    mode: 'ok',
    received: { ok: 0, fail: 0, stall: 0 },
    close: () =>
      new Promise((resolve) => {
        for (const res of stalled) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return upstream;
}
