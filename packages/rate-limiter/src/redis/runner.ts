import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** An ioredis client: `Redis` (standalone) or `Cluster`. */
export type RedisClient = Redis | Cluster;

/** SHA1 of a script's source, as Redis names it in `EVALSHA`. */
export function sha1(source: string): string {
  return createHash('sha1').update(source).digest('hex');
}

/**
 * One Lua script: its source and SHA1. The limiter sends `EVALSHA` and, on `NOSCRIPT` (a server
 * that restarted, a `SCRIPT FLUSH`, a Cluster node that never saw the script), once `EVAL`, which
 * also loads it into that server's script cache, so the next `EVALSHA` succeeds again. On a
 * Cluster, ioredis routes both by the key's slot, so the node that owns the key is the one that
 * gets the script: every node loads it lazily, the first time it is needed there.
 *
 * The client is the caller's: nothing is defined on it (no `defineCommand`), nothing is closed.
 */
export class ScriptRunner {
  /** The script's source. */
  readonly source: string;
  /** Its SHA1. */
  readonly sha: string;
  /** `EVAL` fallbacks taken (one per NOSCRIPT). */
  reloads = 0;

  constructor(source: string) {
    this.source = source;
    this.sha = sha1(source);
  }
}
