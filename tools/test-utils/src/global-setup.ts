import { RedisCluster } from './redis-cluster.js';
import { INSTALL_HINT, REDIS_CLUSTER_ENV, REDIS_URL_ENV } from './redis-env.js';
import { hasRedisServer, RedisServer } from './redis-server.js';

/**
 * Vitest global setup: start one standalone Redis and one 3-master Redis Cluster on loopback for
 * the whole run, hand their addresses to the test workers through the environment, and stop
 * exactly those processes when the run ends.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env[REDIS_URL_ENV] && process.env[REDIS_CLUSTER_ENV]) {
    console.log(
      `[redis] using ${process.env[REDIS_URL_ENV]} and cluster ${process.env[REDIS_CLUSTER_ENV]} from the environment`,
    );
    return undefined;
  }
  if (!hasRedisServer()) {
    if (process.env.CI === 'true' || process.env.CI === '1') {
      throw new Error(`CI=true and ${INSTALL_HINT}`);
    }
    console.warn(`[redis] ${INSTALL_HINT}`);
    return undefined;
  }
  const [standalone, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start(3)]);
  process.env[REDIS_URL_ENV] = standalone.url;
  process.env[REDIS_CLUSTER_ENV] = cluster.addresses.map((a) => `${a.host}:${a.port}`).join(',');
  const version = await standalone.cli('info', 'server');
  const redisVersion = /redis_version:(\S+)/.exec(version)?.[1] ?? 'unknown';
  console.log(
    `[redis] redis-server ${redisVersion}: standalone ${standalone.url} (pid ${standalone.pid}); cluster ${process.env[REDIS_CLUSTER_ENV]} (pids ${cluster.nodes.map((n) => n.pid).join(', ')})`,
  );
  return async () => {
    await Promise.all([standalone.dispose(), cluster.dispose()]);
    delete process.env[REDIS_URL_ENV];
    delete process.env[REDIS_CLUSTER_ENV];
  };
}
