import { createHash } from 'node:crypto';

/**
 * What the script runner needs of an ioredis client (`Redis` or `Cluster`): structural, so the
 * kernel imports nothing from ioredis.
 */
export interface ScriptClient {
  evalsha(
    sha: string,
    numKeys: number,
    ...keysAndArgs: (string | number | Buffer)[]
  ): Promise<unknown>;
  eval(
    source: string,
    numKeys: number,
    ...keysAndArgs: (string | number | Buffer)[]
  ): Promise<unknown>;
}

/**
 * One Lua script and its SHA1. `run` sends `EVALSHA` and, on `NOSCRIPT` (a restarted server, a
 * `SCRIPT FLUSH`, a Cluster node that never saw the script), once `EVAL`, which also loads the
 * script there so the next `EVALSHA` succeeds. On a Cluster, ioredis routes both by the first
 * key's slot, so every node loads the script lazily, when first needed there. One round trip per
 * call in the steady state; nothing is defined on or closed in the caller's client.
 */
export class RedisScript {
  /** The script's source. */
  readonly source: string;
  /** Its SHA1, as `EVALSHA` names it. */
  readonly sha: string;
  /** `EVAL` fallbacks taken (one per NOSCRIPT). */
  reloads = 0;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script on `keys` (all in one hash slot on a Cluster: see {@link slotKey}). */
  run(
    client: ScriptClient,
    keys: readonly string[],
    args: readonly (string | number | Buffer)[],
  ): Promise<unknown> {
    return client.evalsha(this.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      this.reloads++;
      return client.eval(this.source, keys.length, ...keys, ...args);
    });
  }
}

/**
 * `run` for a script of one key and one to three number arguments (`undefined` ones are left
 * off), with a fixed argument list: no key or argument arrays to build and spread, and no
 * per-call closure, for the hot path of a decision made in one round trip.
 */
export async function runOnKey(
  script: RedisScript,
  client: ScriptClient,
  key: string,
  a: number,
  b?: number,
  c?: number,
): Promise<unknown> {
  try {
    if (b === undefined) return await client.evalsha(script.sha, 1, key, a);
    if (c === undefined) return await client.evalsha(script.sha, 1, key, a, b);
    return await client.evalsha(script.sha, 1, key, a, b, c);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    script.reloads++;
    if (b === undefined) return client.eval(script.source, 1, key, a);
    if (c === undefined) return client.eval(script.source, 1, key, a, b);
    return client.eval(script.source, 1, key, a, b, c);
  }
}

/** True for Redis' `NOSCRIPT` reply. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * A Redis key `<prefix>{<key>}`: the braces are a Cluster hash tag, so every key built from the same
 * `key` (with any suffix after the tag) lives in one slot and one script may touch them all.
 */
export function slotKey(prefix: string, key: string, suffix = ''): string {
  return `${prefix}{${key}}${suffix}`;
}
