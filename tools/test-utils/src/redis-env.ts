import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ClusterNodeAddress } from './redis-cluster.js';

/** Environment variables through which the global setup hands Redis addresses to test workers. */
export const REDIS_URL_ENV = 'BULWARK_REDIS_URL';
export const REDIS_CLUSTER_ENV = 'BULWARK_REDIS_CLUSTER';

export const INSTALL_HINT =
  'redis-server not found: Redis suites are skipped. Install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`; macOS: `brew install redis`) to run them.';

export interface RedisTargets {
  standalone: { host: string; port: number; url: string };
  cluster: ClusterNodeAddress[];
}

function parseHostPort(text: string): ClusterNodeAddress {
  const at = text.lastIndexOf(':');
  return { host: text.slice(0, at), port: Number(text.slice(at + 1)) };
}

/** The shared standalone server and cluster the global setup started, or undefined without Redis. */
export function redisTargets(): RedisTargets | undefined {
  const url = process.env[REDIS_URL_ENV];
  const cluster = process.env[REDIS_CLUSTER_ENV];
  if (!url || !cluster) return undefined;
  const { hostname, port } = new URL(url);
  return {
    standalone: { host: hostname, port: Number(port), url },
    cluster: cluster.split(',').map(parseHostPort),
  };
}

const isCI = (): boolean => process.env.CI === 'true' || process.env.CI === '1';

/**
 * `describe` for suites that need Redis. Without Redis the suite is skipped, except under
 * `CI=true`, where it fails: a CI run must prove the Redis code paths, not silently skip them.
 */
export function describeRedis(name: string, body: (targets: RedisTargets) => void): void {
  const targets = redisTargets();
  if (targets) {
    describe(name, () => body(targets));
  } else if (isCI()) {
    describe(name, () => {
      it('needs Redis (CI=true: missing Redis is a failure)', () => {
        throw new Error(INSTALL_HINT);
      });
    });
  } else {
    describe.skip(name, () => {
      it(INSTALL_HINT, () => {});
    });
  }
}

function requireTargets(): RedisTargets {
  const targets = redisTargets();
  if (!targets) throw new Error(INSTALL_HINT);
  return targets;
}

/** An ioredis client on the shared standalone server; the caller quits it. */
export function connectStandalone(options: RedisOptions = {}): Redis {
  const { host, port } = requireTargets().standalone;
  return new Redis({ host, port, lazyConnect: false, ...options });
}

/**
 * One client on the shared standalone server for the enclosing suite: connected and answering
 * (`PING`) before its first test, handed to `use`, quit after its last.
 * `let redis: Redis; sharedStandalone((client) => { redis = client; });`
 */
export function sharedStandalone(use: (client: Redis) => void, options: RedisOptions = {}): void {
  let client: Redis | undefined;
  beforeAll(async () => {
    client = connectStandalone(options);
    await client.ping();
    use(client);
  });
  afterAll(async () => {
    await client?.quit();
  });
}

/** An ioredis Cluster client on the shared 3-master cluster; the caller quits it. */
export function connectCluster(options: RedisOptions = {}): Cluster {
  return new Cluster(requireTargets().cluster, { redisOptions: options });
}

/** A key prefix unique to one test, so suites sharing a server never see each other's keys. */
export function uniquePrefix(label = 'test'): string {
  return `bulwark-test:${label}:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`;
}
