export { FakeClock, type FakeTimer, flushMicrotasks } from './fake-clock.js';
export { freePort } from './ports.js';
export { seededRandom } from './random.js';
export { type ClusterNodeAddress, RedisCluster } from './redis-cluster.js';
export {
  connectCluster,
  connectStandalone,
  describeRedis,
  INSTALL_HINT,
  type RedisTargets,
  redisTargets,
  uniquePrefix,
} from './redis-env.js';
export { hasRedisServer, RedisServer, type RedisServerOptions, redisCli } from './redis-server.js';
