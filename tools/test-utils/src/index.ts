export { FakeClock, type FakeTimer, flushMicrotasks } from './fake-clock.js';
export { closeServer, type LoopbackServer, listen, loopbackServer } from './http.js';
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
  sharedStandalone,
  uniquePrefix,
} from './redis-env.js';
export {
  captureUnhandledRejections,
  connectToServer,
  crashServer,
  FAIL_FAST,
  FAIL_FAST_CLUSTER,
  nextEvent,
  type OwnRedisCluster,
  type OwnRedisServer,
  ownRedisCluster,
  ownRedisServer,
  restartServer,
} from './redis-faults.js';
export { hasRedisServer, RedisServer, type RedisServerOptions, redisCli } from './redis-server.js';
export { until } from './until.js';
