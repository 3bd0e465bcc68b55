import {
  checkKnownKeys,
  checkObject,
  checkString,
  RedisScript,
  type ScriptClient,
  slotKey,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import type { Cluster, Redis } from 'ioredis';
import type { ClaimResult, IdempotencyStore, RecordedResponse } from '../types.js';
import { CLAIM, COMPLETE, RELEASE } from './scripts.js';
import { SettledBus } from './settled-bus.js';

/** An ioredis client: `Redis` (standalone) or `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Options of {@link RedisIdempotencyStore}. */
export interface RedisIdempotencyStoreOptions {
  /** The ioredis client (standalone or Cluster); yours: the store never closes it. */
  redis: RedisClient;
  /** Prefix of every key; each record is `<prefix>{<scope>:<key>}`. Default `'bulwark:idempotency:'`. */
  prefix?: string;
}

// ioredis gives every command a `…Buffer` twin whose bulk replies stay Buffers, so a recorded
// body comes back byte for byte; its types do not list them.
interface BufferCommands {
  evalshaBuffer(
    sha: string,
    numKeys: number,
    ...args: (string | number | Buffer)[]
  ): Promise<unknown>;
  evalBuffer(
    source: string,
    numKeys: number,
    ...args: (string | number | Buffer)[]
  ): Promise<unknown>;
}

const claimScript = new RedisScript(CLAIM);
const completeScript = new RedisScript(COMPLETE);
const releaseScript = new RedisScript(RELEASE);
const KNOWN = new Set(['redis', 'prefix']);

/**
 * An {@link IdempotencyStore} on Redis, shared by every process: claim, complete and release are
 * each one Lua script (one round trip) on one hash per key, so they are atomic on standalone
 * Redis and on a Cluster. The lease carries a fencing token from a counter in that hash, so a
 * request whose lease expired and was taken over cannot overwrite the newer record. Complete and
 * release announce the key on its pub/sub channel in the same script, which wakes duplicates
 * waiting in any process (see {@link RedisIdempotencyStore.onSettled}).
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly #client: ScriptClient;
  readonly #prefix: string;
  readonly #settled: SettledBus;
  // How complete and release announce: sharded on a Cluster, plain on a standalone server.
  readonly #announce: 's' | 'p';

  /** See {@link RedisIdempotencyStoreOptions}. */
  constructor(options: RedisIdempotencyStoreOptions) {
    checkObject('options', options);
    checkKnownKeys(options, KNOWN, 'new RedisIdempotencyStore(options)', VOCABULARY_RENAMES);
    const redis = options.redis as unknown as Partial<BufferCommands> | undefined;
    if (typeof redis?.evalshaBuffer !== 'function' || typeof redis.evalBuffer !== 'function')
      typeError('redis', 'an ioredis Redis or Cluster client', options.redis);
    const buffers = redis as BufferCommands;
    this.#client = {
      evalsha: (sha, numKeys, ...args) => buffers.evalshaBuffer(sha, numKeys, ...args),
      eval: (source, numKeys, ...args) => buffers.evalBuffer(source, numKeys, ...args),
    };
    this.#prefix =
      options.prefix === undefined
        ? 'bulwark:idempotency:'
        : checkString('prefix', options.prefix, true);
    this.#settled = new SettledBus(options.redis);
    this.#announce = this.#settled.sharded ? 's' : 'p';
  }

  /** The Redis key of a store key: `<prefix>{<key>}`. */
  redisKey(key: string): string {
    return slotKey(this.#prefix, key);
  }

  /** See {@link IdempotencyStore.claim}. One round trip. */
  async claim(
    key: string,
    fingerprint: string,
    leaseMs: number,
    ttlMs: number,
  ): Promise<ClaimResult> {
    const reply = (await claimScript.run(
      this.#client,
      [this.redisKey(key)],
      [fingerprint, Math.ceil(leaseMs), Math.ceil(ttlMs)],
    )) as [number, ...unknown[]];
    if (reply[0] === 1) return { state: 'claimed', token: reply[1] as number };
    if (reply[0] === 2)
      return {
        state: 'running',
        fingerprint: String(reply[1]),
        leaseRemainingMs: reply[2] as number,
      };
    const [, fp, status, headers, body] = reply as [3, Buffer, number, Buffer, Buffer];
    return {
      state: 'completed',
      fingerprint: fp.toString(),
      response: { status, headers: JSON.parse(headers.toString()), body },
    };
  }

  /** See {@link IdempotencyStore.complete}. One round trip. */
  async complete(
    key: string,
    token: number,
    response: RecordedResponse,
    ttlMs: number,
  ): Promise<boolean> {
    const body = response.body;
    const reply = await completeScript.run(
      this.#client,
      [this.redisKey(key)],
      [
        String(token),
        response.status,
        JSON.stringify(response.headers),
        Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        Math.ceil(ttlMs),
        this.#announce,
      ],
    );
    return reply === 1;
  }

  /**
   * See {@link IdempotencyStore.onSettled}. The first listener opens a subscriber connection (a
   * duplicate of the client), the last one to stop closes it; each key is a channel subscribed
   * while someone listens. `listener` is called once when its subscription is confirmed, on each
   * announcement of the key, and once more when a lost subscriber connection is back.
   */
  onSettled(key: string, listener: () => void): () => void {
    return this.#settled.listen(slotKey(this.#prefix, key, ':settled'), listener);
  }

  /** Closes the subscriber connection, if a duplicate waits now; the client is yours and stays open. */
  close(): Promise<void> {
    this.#settled.close();
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** See {@link IdempotencyStore.release}. One round trip. */
  async release(key: string, token: number): Promise<boolean> {
    const reply = await releaseScript.run(
      this.#client,
      [this.redisKey(key)],
      [String(token), this.#announce],
    );
    return reply === 1;
  }
}
