import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import {
  connectCluster,
  connectStandalone,
  describeRedis,
  RedisServer,
  uniquePrefix,
} from '../src/index.js';

// A two-key script: on Redis Cluster both keys must hash to one slot, which the {tag} ensures.
const SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[2])
return { redis.call('GET', KEYS[1]), tonumber(redis.call('GET', KEYS[2])) }
`;
const SHA = createHash('sha1').update(SCRIPT).digest('hex');

async function evalsha(client: Redis | import('ioredis').Cluster, keys: string[], args: string[]) {
  try {
    return await client.evalsha(SHA, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String(error).includes('NOSCRIPT')) throw error;
    return client.eval(SCRIPT, keys.length, ...keys, ...args);
  }
}

describeRedis('Redis harness: standalone', (targets) => {
  const client = connectStandalone();
  afterAll(() => client.quit());

  it('runs a Lua script via EVALSHA (NOSCRIPT fallback loads it once)', async () => {
    await client.script('FLUSH');
    const p = uniquePrefix('standalone');
    expect(await evalsha(client, [`${p}a`, `${p}b`], ['x', '2'])).toEqual(['x', 2]);
    expect(await client.script('EXISTS', SHA)).toEqual([1]);
    expect(await evalsha(client, [`${p}a`, `${p}b`], ['y', '3'])).toEqual(['y', 5]);
    expect(targets.standalone.port).toBeGreaterThan(0);
  });
});

describeRedis('Redis harness: 3-master cluster', (targets) => {
  const cluster = connectCluster();
  afterAll(() => cluster.quit());

  it('has three masters with all slots', async () => {
    expect(targets.cluster).toHaveLength(3);
    const info = await cluster.cluster('INFO');
    expect(info).toContain('cluster_state:ok');
    const masters = cluster.nodes('master');
    expect(masters).toHaveLength(3);
  });

  it('runs a multi-key script on every slot range when keys share a hash tag', async () => {
    const p = uniquePrefix('cluster');
    const slots = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const tag = `{user-${i}}`;
      const keys = [`${p}${tag}:a`, `${p}${tag}:b`];
      expect(await evalsha(cluster, keys, [`v${i}`, '1'])).toEqual([`v${i}`, 1]);
      slots.add(Number(await cluster.cluster('KEYSLOT', keys[0]!)));
    }
    // 30 tags land in slots spread over the three masters.
    const owners = new Set<string>();
    const ranges = await cluster.cluster('SLOTS');
    for (const slot of slots) {
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      owners.add(String(owner?.[2]?.[1]));
    }
    expect(owners.size).toBe(3);
  });

  it('refuses a multi-key script whose keys are in different slots', async () => {
    const p = uniquePrefix('crossslot');
    await expect(evalsha(cluster, [`${p}{a}`, `${p}{b}`], ['x', '1'])).rejects.toThrow(
      /CROSSSLOT|slot/i,
    );
  });
});

describeRedis('Redis harness: a server that dies', () => {
  it('a killed server is detected by the client and a restarted one is used again', async () => {
    const server = await RedisServer.start();
    const client = new Redis({
      host: server.host,
      port: server.port,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    let closes = 0;
    client.on('close', () => closes++);
    client.on('error', () => {});
    try {
      await once(client, 'ready');
      expect(await client.ping()).toBe('PONG');
      const pid = server.pid;
      await server.kill();
      expect(server.running).toBe(false);
      expect(() => process.kill(pid!, 0)).toThrow();
      await expect(client.ping()).rejects.toThrow();
      await server.restart();
      expect(server.pid).not.toBe(pid);
      await once(client, 'ready');
      expect(await client.ping()).toBe('PONG');
      expect(closes).toBeGreaterThan(0);
    } finally {
      client.disconnect();
      await server.dispose();
    }
  });
});
