// Real use: pools of real connections. Network events are real (loopback only); the pool's own
// timers (leak checks, timeouts) run on a fake clock, so nothing waits on the wall clock.
import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import {
  connectStandalone,
  describeRedis,
  FakeClock,
  RedisServer,
  uniquePrefix,
} from '@bulwark/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type LeakReport, type Pool } from '../src/index.js';
import { settle, track } from './helpers.js';

function redisPool(host: string, port: number, clock: FakeClock, name: string) {
  return createPool<Redis>({
    create: async () => {
      const client = new Redis({
        host,
        port,
        lazyConnect: true,
        connectionName: name,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => {}); // failures surface through commands and connect()
      await client.connect();
      return client;
    },
    destroy: (client) => void client.disconnect(),
    validate: async (client) => (await client.ping()) === 'PONG',
    max: 4,
    leakDetectionMs: 1000,
    leakStacks: 'always',
    clock,
    name,
  });
}

describeRedis('a pool of ioredis connections', ({ standalone }) => {
  it('runs many concurrent commands over at most max connections', async () => {
    const name = `pool-${Math.random().toString(36).slice(2, 8)}`;
    const pool = redisPool(standalone.host, standalone.port, new FakeClock(), name);
    const key = `${uniquePrefix('pool')}counter`;
    const observer = connectStandalone();
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => pool.use((client) => client.incr(key))),
      );
      expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const clients = (await observer.client('LIST')) as string;
      const ours = clients.split('\n').filter((line) => line.includes(`name=${name} `));
      expect(ours.length).toBeLessThanOrEqual(4);
      expect(pool.stats()).toMatchObject({ borrowed: 0, created: ours.length });
    } finally {
      await pool.close();
      await observer.del(key);
      observer.disconnect();
    }
  });

  it('reports a leaked connection, and neither hangs nor leaks when Redis dies', async () => {
    const server = await RedisServer.start();
    const clock = new FakeClock();
    const pool = redisPool(server.host, server.port, clock, 'dying');
    const reports: LeakReport<Redis>[] = [];
    pool.on('leak', (report) => reports.push(report));
    pool.on('createError', () => {});
    try {
      // A handler that takes a connection and forgets it on its error path.
      async function handlerThatForgetsToRelease() {
        const lease = await pool.acquire();
        await lease.value.set('k', 'v');
        return lease; // never released
      }
      const leaked = await handlerThatForgetsToRelease();
      const healthy = await pool.acquire();
      healthy.release();
      await clock.advanceAsync(1250);
      expect(reports).toHaveLength(1);
      expect(reports[0]!.kind).toBe('held-too-long');
      expect(reports[0]!.stack).toContain('handlerThatForgetsToRelease');
      leaked.release();

      const first = await pool.acquire();
      const second = await pool.acquire();
      const ended = once(first.value, 'end');
      first.release();
      second.release();
      await server.kill();
      await ended;
      // Idle connections fail validation, are destroyed, and the new connect is refused: the
      // caller gets the error at once instead of waiting.
      const idleBefore = pool.stats().available;
      expect(idleBefore).toBeGreaterThan(0);
      await expect(pool.acquire()).rejects.toThrow(/ECONNREFUSED|Connection is closed/);
      await settle();
      await server.restart();
      const lease = await pool.acquire();
      expect(await lease.value.ping()).toBe('PONG');
      lease.release();
      expect(pool.stats().borrowed).toBe(0);
    } finally {
      const drained = pool.close(0);
      await clock.advanceAsync(1);
      await drained;
      await server.dispose();
    }
  });
});

// Whether ioredis will try this client again. A client disconnected while it waits to reconnect
// keeps `status: 'reconnecting'` (ioredis emits no 'end' then), so the only faithful sign is its
// pending reconnect timer, an internal field read here on purpose.
function reconnectScheduled(client: Redis): boolean {
  const internals = client as unknown as { reconnectTimeout?: unknown; manuallyClosing?: boolean };
  return (
    internals.reconnectTimeout != null || (client.status !== 'end' && !internals.manuallyClosing)
  );
}

describeRedis('a pool of ioredis connections when Redis dies (README options)', () => {
  it('cuts a validate whose ping waits for a reconnect, and leaves no client reconnecting', async () => {
    const server = await RedisServer.start();
    const clock = new FakeClock();
    const clients: Redis[] = [];
    // The README's create: a client whose connect() rejected is disconnected, or ioredis would
    // keep reconnecting it for ever. Default reconnect options otherwise, so a command on a
    // client whose server died waits for the reconnect (as the README's own client would).
    const pool = createPool<Redis>({
      create: async ({ signal }) => {
        const client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
        clients.push(client);
        client.on('error', () => {}); // failures surface through connect() and commands
        const cut = () => client.disconnect();
        signal.addEventListener('abort', cut);
        try {
          await client.connect();
          return client;
        } catch (error) {
          client.disconnect();
          throw error;
        } finally {
          signal.removeEventListener('abort', cut);
        }
      },
      destroy: (client) => void client.disconnect(),
      validate: async (client) => (await client.ping()) === 'PONG',
      validateTimeoutMs: 1_000,
      acquireTimeoutMs: 60_000,
      clock,
    });
    pool.on('createError', () => {});
    try {
      const lease = await pool.acquire();
      const first = lease.value;
      lease.release();
      const reconnecting = once(first, 'reconnecting');
      await server.kill();
      await reconnecting;
      const waiting = track(pool.acquire());
      await settle();
      expect(pool.stats()).toMatchObject({ validating: 1, size: 1 });
      // The ping sits in the offline queue until a reconnect that never comes: the pool's own
      // timeout ends the check and destroys the client.
      await clock.advanceAsync(1_000);
      await settle();
      expect(pool.stats().validating).toBe(0);
      expect(reconnectScheduled(first)).toBe(false);
      // The create made for the caller is refused (the server is down) and hands it the error.
      for (let i = 0; i < 50 && !waiting.settled; i++) await settle();
      expect(String(waiting.error)).toMatch(/ECONNREFUSED|Connection is closed/);
      expect(clients.length).toBeGreaterThanOrEqual(2);
      await pool.drain(0);
      expect(clients.filter(reconnectScheduled)).toEqual([]);
    } finally {
      const drained = pool.drain(0);
      await clock.advanceAsync(1);
      await drained;
      for (const client of clients) client.disconnect();
      await server.dispose();
    }
  });
});

describe('a pool of node:net sockets to a local server', () => {
  let server: Server;
  let port: number;
  const open = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
      socket.pipe(socket); // echo
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of open) socket.destroy();
    server.close();
    await once(server, 'close');
  });

  function socketPool(clock: FakeClock): Pool<Socket> {
    return createPool<Socket>({
      create: ({ signal }) =>
        new Promise<Socket>((resolve, reject) => {
          const socket = new Socket();
          socket.once('connect', () => resolve(socket));
          socket.once('error', reject);
          signal.addEventListener('abort', () => socket.destroy(signal.reason as Error));
          socket.connect(port, '127.0.0.1');
        }),
      destroy: (socket) => {
        socket.destroy();
      },
      validate: (socket) => !socket.destroyed && socket.writable,
      max: 3,
      leakDetectionMs: 500,
      leakStacks: 'always',
      clock,
    });
  }

  async function echo(socket: Socket, text: string): Promise<string> {
    socket.write(text);
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    return chunk.toString();
  }

  it('serves many echo round trips over at most max sockets', async () => {
    const pool = socketPool(new FakeClock());
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => pool.use((socket) => echo(socket, `m${i}`))),
    );
    expect(replies).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    expect(pool.stats().created).toBeLessThanOrEqual(3);
    expect(open.size).toBeLessThanOrEqual(3);
    await pool.close();
    await settle();
  });

  it('reports a deliberately leaked socket, then reclaims it once it is garbage-collected', async () => {
    const clock = new FakeClock();
    const pool = socketPool(clock);
    const reports: LeakReport<Socket>[] = [];
    pool.on('leak', (report) => reports.push(report));

    async function requestHandlerWithALeak() {
      const lease = await pool.acquire();
      await echo(lease.value, 'ping');
      // Bug under test: returns without release() on this path.
    }
    await requestHandlerWithALeak();
    expect(pool.stats().borrowed).toBe(1);

    await clock.advanceAsync(625);
    expect(reports.map((r) => r.kind)).toEqual(['held-too-long']);
    expect(reports[0]!.stack).toContain('requestHandlerWithALeak');

    for (let i = 0; i < 30 && reports.length < 2; i++) {
      globalThis.gc!();
      await settle(2);
    }
    expect(reports.map((r) => r.kind)).toEqual(['held-too-long', 'collected']);
    await settle();
    expect(reports[1]!.resource.destroyed).toBe(true);
    expect(pool.stats()).toMatchObject({ borrowed: 0, leaks: 1, size: 0 });
    await pool.close();
  });
});
