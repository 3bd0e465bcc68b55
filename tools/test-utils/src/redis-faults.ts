// Scaffolding for tests in which Redis dies mid-run: a standalone server or a Cluster of the
// test's own, clients that notice the loss quickly, and the waits for a client to see the crash
// and the return. Every wait here is on a real process or connection event, never a fixed sleep.
import type { EventEmitter } from 'node:events';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { RedisCluster } from './redis-cluster.js';
import { RedisServer } from './redis-server.js';

/**
 * ioredis options for a standalone client that fails at once while disconnected (no offline
 * queue), gives up on a command after one reconnect attempt, and reconnects every 20 ms.
 */
export const FAIL_FAST: Readonly<RedisOptions> = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  retryStrategy: () => 20,
};

/**
 * ioredis Cluster options that notice a dead node quickly: no offline queue (a command for a lost
 * node fails instead of waiting), one retry per request, 50 ms cluster retry delays.
 */
export const FAIL_FAST_CLUSTER: Readonly<ClusterOptions> = {
  enableOfflineQueue: false,
  clusterRetryStrategy: () => 50,
  retryDelayOnClusterDown: 50,
  retryDelayOnFailover: 50,
  redisOptions: { maxRetriesPerRequest: 1 },
};

/**
 * Resolves on the emitter's next `event`. Unlike `events.once`, an `'error'` event meanwhile
 * (ioredis reports each refused reconnect as one) does not reject it.
 */
export function nextEvent(emitter: EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

/**
 * An ioredis client on a server of the test's own, with `options` as given (nothing implied).
 * Its `'error'` events are swallowed: connection errors while the server is down are expected.
 * Wait for it with `nextEvent(client, 'ready')`; the caller disconnects it.
 */
export function connectToServer(server: RedisServer, options: RedisOptions = {}): Redis {
  const client = new Redis({ host: server.host, port: server.port, ...options });
  client.on('error', () => {});
  return client;
}

/** Kills `server` (SIGKILL, as a crash) and resolves once `client` has seen its connection close. */
export async function crashServer(server: RedisServer, client: EventEmitter): Promise<void> {
  const closed = nextEvent(client, 'close');
  await server.kill();
  await closed;
}

/**
 * Restarts `server` on its port (empty: the harness runs without persistence) and resolves once
 * `client` is ready on it again.
 */
export async function restartServer(server: RedisServer, client: EventEmitter): Promise<void> {
  const ready = nextEvent(client, 'ready');
  await server.restart();
  await ready;
}

/**
 * Collects every unhandled rejection from the suite's `beforeAll` to its `afterAll`, so a test can
 * assert there were none (`expect(unhandled).toEqual([])`) instead of the run printing them.
 */
export function captureUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return unhandled;
}

/** A Redis Cluster of a suite's own, made by {@link ownRedisCluster}. */
export interface OwnRedisCluster {
  /** The cluster; set from the suite's `beforeAll` on. */
  readonly cluster: RedisCluster;
  /** Unhandled rejections seen while the suite ran (see {@link captureUnhandledRejections}). */
  readonly unhandled: unknown[];
  /**
   * A Cluster client on it, resolved once `'ready'`; its `'error'` and `'node error'` events are
   * swallowed (a killed node is expected) and the suite's `afterAll` disconnects it.
   */
  connect(options?: ClusterOptions): Promise<Cluster>;
}

/**
 * Starts a Cluster of `masters` masters of the suite's own in `beforeAll` (one the tests may kill
 * nodes of, by pid through the harness) and, in `afterAll`, disconnects every client `connect`
 * made and stops the nodes. Unhandled rejections are captured for the whole suite.
 */
export function ownRedisCluster(masters = 3): OwnRedisCluster {
  const unhandled = captureUnhandledRejections();
  const clients: Cluster[] = [];
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await RedisCluster.start(masters);
  }, 60_000);
  afterAll(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await cluster?.dispose();
  });
  const started = () => required(cluster, 'the cluster starts in beforeAll');
  return {
    get cluster() {
      return started();
    },
    unhandled,
    async connect(options: ClusterOptions = FAIL_FAST_CLUSTER): Promise<Cluster> {
      const client = new Cluster(started().addresses, options);
      client.on('error', () => {});
      client.on('node error', () => {});
      clients.push(client);
      await nextEvent(client, 'ready');
      return client;
    },
  };
}

/** A standalone server of a suite's own, made by {@link ownRedisServer}. */
export interface OwnRedisServer {
  /** The server; set from the suite's `beforeAll` on. */
  readonly server: RedisServer;
  /** The current test's client, ready when the test starts; set in `beforeEach`. */
  readonly redis: Redis;
  /** Unhandled rejections seen while the suite ran (see {@link captureUnhandledRejections}). */
  readonly unhandled: unknown[];
  /** Kills the server and resolves once the current client has seen the connection close. */
  crash(): Promise<void>;
  /** Restarts the server (empty) and resolves once the current client is ready again. */
  restart(): Promise<void>;
}

/**
 * Starts a standalone server of the suite's own in `beforeAll` (stopped by pid in `afterAll`) and
 * gives each test a client made with `options` ({@link connectToServer}), ready before the test
 * runs and disconnected after it; a server a test left dead is restarted first. Unhandled
 * rejections are captured for the whole suite. A suite's own `afterEach` runs before the
 * client is disconnected (vitest runs `after` hooks in reverse order).
 */
export function ownRedisServer(options: RedisOptions = FAIL_FAST): OwnRedisServer {
  const unhandled = captureUnhandledRejections();
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  beforeEach(async () => {
    const current = started();
    if (!current.running) await current.restart();
    redis = connectToServer(current, options);
    await nextEvent(redis, 'ready');
  });
  afterEach(() => {
    redis?.disconnect();
    redis = undefined;
  });
  const started = () => required(server, 'the server starts in beforeAll');
  const client = () => required(redis, 'the client connects in beforeEach');
  return {
    get server() {
      return started();
    },
    get redis() {
      return client();
    },
    unhandled,
    crash: () => crashServer(started(), client()),
    restart: () => restartServer(started(), client()),
  };
}

// A value a hook sets, read by a test: read too early, it says which hook sets it.
function required<T>(value: T | undefined, setBy: string): T {
  if (value === undefined) throw new Error(`read before it was set: ${setBy}`);
  return value;
}
