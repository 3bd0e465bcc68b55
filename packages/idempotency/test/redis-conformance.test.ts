import { describeRedis } from '@bulwark/test-utils';
import { describe, it } from 'vitest';
import { registerStoreConformance } from '../src/testing.js';
import { redisClients, redisSubject } from './redis-helpers.js';

describeRedis('redis store conformance', () => {
  const clients = redisClients();
  registerStoreConformance(
    { describe, it },
    'standalone',
    () => redisSubject(clients.standalone(), 'idem-conf'),
    { numRuns: 50 },
  );
  registerStoreConformance(
    { describe, it },
    'cluster',
    () => redisSubject(clients.cluster(), 'idem-conf'),
    { numRuns: 30 },
  );
});
