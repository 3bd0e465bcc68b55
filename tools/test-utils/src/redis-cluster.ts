import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { RedisServer } from './redis-server.js';

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/**
 * A Redis Cluster of `masters` master nodes (no replicas) on loopback, built with
 * `redis-cli --cluster create`. `start` resolves once every node reports `cluster_state:ok`.
 */
export class RedisCluster {
  readonly nodes: RedisServer[];

  private constructor(nodes: RedisServer[]) {
    this.nodes = nodes;
  }

  static async start(masters = 3): Promise<RedisCluster> {
    const nodes = await Promise.all(
      Array.from({ length: masters }, () =>
        RedisServer.start({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '2000',
          ],
        }),
      ),
    );
    const cluster = new RedisCluster(nodes);
    try {
      await createCluster(nodes);
      await cluster.waitUntilOk();
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  /** Addresses in the shape ioredis' `Cluster` constructor takes. */
  get addresses(): ClusterNodeAddress[] {
    return this.nodes.map((node) => ({ host: node.host, port: node.port }));
  }

  /** Poll `CLUSTER INFO` on every node until all say `cluster_state:ok` and know each other. */
  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const infos = await Promise.all(
        this.nodes.map((node) => node.cli('cluster', 'info').catch((e: Error) => e.message)),
      );
      const ready = infos.every(
        (info) =>
          info.includes('cluster_state:ok') &&
          info.includes(`cluster_known_nodes:${this.nodes.length}`) &&
          info.includes('cluster_slots_assigned:16384'),
      );
      if (ready) return;
      last = infos.join('\n');
      // Waiting on an external process to converge; not a test timing assumption.
      await delay(50);
    }
    throw new Error(`Redis Cluster not ok after ${timeoutMs} ms:\n${last}`);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

function createCluster(nodes: RedisServer[]): Promise<void> {
  const addresses = nodes.map((node) => `${node.host}:${node.port}`);
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      (error, stdout, stderr) => {
        if (error) reject(new Error(`redis-cli --cluster create failed:\n${stdout}\n${stderr}`));
        else resolve();
      },
    );
  });
}
