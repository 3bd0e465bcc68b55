// The Redis tier (L2) and distributed single-flight. On an L1 miss, one process per key (the
// in-process single flight sees to that) runs `fill`:
//
//   GET (one round trip): a usable value (fresh, or within its revalidate window), aged on the
//                  server's clock as this process estimates it → take it.
//   LOOKUP (one script): look again, and when nothing usable is there, try the lease (SET NX PX
//                  + random token, fence = INCR):
//   lease won   → run the loader here, renewing the lease meanwhile; WRITE (one script) stores
//                 the value only if the fence is still current, and releases the lease; publish
//                 the key so other processes evict their L1 copy and wake their waiters.
//   lease held  → wait for the holder's message on the invalidation channel, or poll after
//                 leasePollMs (or when the lease would expire), then LOOKUP again: either the
//                 value is there, or the lease expired (the holder died) and this process takes over.
//
// A background refresh skips the GET: it wants a value newer than the one it holds. Every Redis
// call goes through the StoreGuard: when Redis fails, fill runs the loader here and the cache
// keeps serving from L1; nothing reaches the caller but the loader's own outcome.

import { randomBytes } from 'node:crypto';
import { slotKey } from '@bulwark/kernel';
import type { Cluster, Redis } from 'ioredis';
import { channels } from '../channels.js';
import type { Entry, StaleWindows } from '../entry.js';
import type { LazyAbort } from '../lazy-abort.js';
import type { Clock } from '../options.js';
import type { FillRequest, LocalTier, SecondTier, TierStats } from '../tier.js';
import { decodeEntry, type Encoded, encodeEntry } from './entry-codec.js';
import { type Invalidation, InvalidationBus, isCluster } from './invalidation-bus.js';
import { DELETE, LOOKUP, RELEASE, RENEW, TAG, WRITE } from './scripts.js';
import type { Serializer } from './serializer.js';
import { ServerTime } from './server-time.js';
import { DOWN, StoreGuard, type StorePolicy } from './store-guard.js';

/** How long a key's fencing counter outlives its last lease, set or delete. */
const FENCE_KEEP_MS = 24 * 60 * 60 * 1000;

/** Options of {@link RedisTier}, checked. @internal */
export interface RedisTierOptions<V> {
  name: string;
  redis: Redis | Cluster;
  prefix: string;
  serializer: Serializer<V>;
  leaseTtlMs: number;
  leasePollMs: number;
  storeTimeoutMs: number;
  storeCooldownMs: number;
  storePolicy: StorePolicy | undefined;
  clock: Clock;
  windows: StaleWindows;
}

type LookupReply = [kind: 1 | 2 | 3, n: number, raw: string | null, now: number];

/** L2 on Redis, with the lease that elects one loader per key across processes. @internal */
export class RedisTier<V> implements SecondTier<V> {
  readonly bus: InvalidationBus;
  readonly #o: RedisTierOptions<V>;
  readonly #local: LocalTier;
  readonly #guard: StoreGuard;
  readonly #origin = randomBytes(8).toString('hex');
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #serverTime: ServerTime;
  #leases = 0;
  #l2Hits = 0;
  #l2Misses = 0;
  #remoteWaits = 0;
  #fencedWrites = 0;

  constructor(options: RedisTierOptions<V>, local: LocalTier) {
    this.#o = options;
    this.#local = local;
    this.#guard = new StoreGuard(
      options.clock,
      options.storeTimeoutMs,
      options.storeCooldownMs,
      options.storePolicy,
      (operation, error) => this.#reportError(operation, error),
    );
    this.#serverTime = new ServerTime(options.clock, () =>
      this.#guard.run('time', () => options.redis.time()),
    );
    this.bus = new InvalidationBus(options.redis, `${options.prefix}invalidate`, this.#origin, {
      invalidated: (message) => this.#invalidated(message),
      subscribed: () => local.clear(),
      error: (operation, error) => this.#reportError(operation, error),
    });
    this.bus.start().catch((error: unknown) => this.#reportError('subscribe', error));
  }

  /** Resolves once the invalidation subscription is live for the first time. */
  started(): Promise<void> {
    return this.bus.firstUp;
  }

  async fill(key: string, request: FillRequest<V>, abort: LazyAbort): Promise<Entry<V>> {
    if (!request.refresh) {
      // The fast path: a plain GET, aged on the estimated server clock (unknown until a first
      // TIME reading). Only when it finds nothing usable does the lease script run.
      const sent = this.#o.clock.now();
      const serverNow = this.#serverTime.at(sent);
      if (serverNow !== undefined) {
        const raw = await this.#guard.run('get', this.#get, slotKey(this.#o.prefix, key), sent);
        if (raw === DOWN) return request.load(undefined, abort);
        const found = this.#usable(raw, serverNow, request.haveFence);
        if (found !== undefined) {
          this.#l2Hits++;
          return found;
        }
      }
    }
    return this.#lookup(key, request, abort);
  }

  // LOOKUP, and the lease: take the value, load under the lease, or wait for its holder.
  async #lookup(key: string, request: FillRequest<V>, abort: LazyAbort): Promise<Entry<V>> {
    const { redis, leaseTtlMs, leasePollMs } = this.#o;
    const keys = this.#keys(key);
    const token = `${this.#origin}:${++this.#leases}`;
    const args = [request.haveFence, request.refresh ? 1 : 0, token, leaseTtlMs, FENCE_KEEP_MS];
    let waited = false;
    for (;;) {
      const reply = await this.#guard.run(
        'lookup',
        () => LOOKUP.run(redis, keys, args) as Promise<LookupReply>,
      );
      if (reply === DOWN) return request.load(undefined, abort);
      const stored = this.#decode(reply[2], Number(reply[3]), this.#o.clock.now());
      if (reply[0] === 1) {
        // A value that does not deserialize is as good as none: load here (and overwrite it).
        if (stored === undefined) return request.load(undefined, abort);
        if (!waited) this.#l2Hits++;
        return stored;
      }
      if (!waited) this.#l2Misses++;
      if (reply[0] === 2)
        return this.#loadUnderLease(key, keys, reply[1], token, stored, request, abort);
      if (!waited) this.#remoteWaits++;
      waited = true;
      // Another process holds the lease: its message wakes us; else poll, at the latest when
      // the lease would expire (its holder may have died).
      await this.#waitFor(key, Math.min(leasePollMs, Math.max(1, reply[1] + 1)), abort.signal);
      if (abort.aborted) throw abort.reason;
    }
  }

  // The GET of the fast path (made once: the hot path passes it with its key, no closure).
  readonly #get = (valueKey: string): Promise<string | null> => this.#o.redis.get(valueKey);

  // What a GET found, if usable: fresh, or within its revalidate window, and newer than
  // haveFence. Its age is taken at `serverNow`, the server's time when the GET was sent.
  #usable(raw: string | null, serverNow: number, haveFence: number): Entry<V> | undefined {
    const now = this.#o.clock.now();
    const entry = this.#decode(raw, serverNow, now);
    if (entry === undefined || entry.fence === haveFence) return undefined;
    return now < entry.staleUntil ? entry : undefined;
  }

  async written(key: string, entry: Entry<V>): Promise<void> {
    const fence = await this.#write(this.#keys(key), entry, 0, '');
    if (fence > 0) await this.#announce(key, entry);
    this.#wake(key);
  }

  async deleted(key: string): Promise<void> {
    const keys = this.#keys(key);
    await this.#guard.run('delete', () =>
      DELETE.run(this.#o.redis, [keys[0], keys[2]], [FENCE_KEEP_MS]),
    );
    await this.bus.publish({ kind: 'key', key });
  }

  async deletedByTag(tag: string): Promise<void> {
    const { redis } = this.#o;
    const tagKey = this.#tagKey(tag);
    const members = await this.#guard.run('delete-by-tag', () => redis.smembers(tagKey));
    if (members !== DOWN)
      await Promise.all(
        members.map((key) => {
          const keys = this.#keys(key);
          return this.#guard.run('delete-by-tag', () =>
            DELETE.run(redis, [keys[0], keys[2]], [FENCE_KEEP_MS]),
          );
        }),
      );
    await this.#guard.run('delete-by-tag', () => redis.del(tagKey));
    await this.bus.publish({ kind: 'tag', tag });
  }

  async cleared(): Promise<void> {
    const { redis, prefix } = this.#o;
    const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
    await Promise.all(
      nodes.map((node) => this.#guard.run('clear', () => unlinkMatching(node, prefix))),
    );
    await this.bus.publish({ kind: 'all' });
  }

  async close(): Promise<void> {
    for (const key of [...this.#waiters.keys()]) this.#wake(key);
    await this.bus.close();
  }

  stats(): TierStats {
    return {
      l2Hits: this.#l2Hits,
      l2Misses: this.#l2Misses,
      remoteWaits: this.#remoteWaits,
      fencedWrites: this.#fencedWrites,
      storeErrors: this.#guard.storeErrors,
      healthy: this.#guard.healthy && this.bus.up,
    };
  }

  // --- the elected loader -----------------------------------------------------------------------

  async #loadUnderLease(
    key: string,
    keys: readonly [string, string, string],
    fence: number,
    token: string,
    stale: Entry<V> | undefined,
    request: FillRequest<V>,
    abort: LazyAbort,
  ): Promise<Entry<V>> {
    const stopRenewing = this.#renew(keys[1], token);
    let entry: Entry<V>;
    try {
      entry = await request.load(stale, abort);
    } catch (error) {
      stopRenewing();
      await this.#guard.run('release', () => RELEASE.run(this.#o.redis, [keys[1]], [token]));
      this.#wake(key);
      throw error;
    } finally {
      stopRenewing();
    }
    if (entry.failed) {
      // Errors stay in this process's L1 (they may not serialize); the lease goes at once so
      // another process may try.
      await this.#guard.run('release', () => RELEASE.run(this.#o.redis, [keys[1]], [token]));
      this.#wake(key);
      return entry;
    }
    const written = await this.#write(keys, entry, fence, token);
    // A flight of this key started here meanwhile (after a delete) may be waiting for the lease.
    this.#wake(key);
    if (written === 0) {
      // The lease was lost and someone wrote or deleted since: our value must not win, in Redis
      // (the script refused it) or in this L1.
      this.#fencedWrites++;
      if (channels.fenced.hasSubscribers)
        channels.fenced.publish({ name: this.#o.name, key, fence });
      this.#local.evict(key, true);
      return entry;
    }
    if (written > 0) {
      await this.#announce(key, entry);
      return { ...entry, fence: written };
    }
    return entry;
  }

  // Renews the lease every third of its TTL while the loader runs; returns the stop function.
  #renew(leaseKey: string, token: string): () => void {
    const { clock, leaseTtlMs, redis } = this.#o;
    let timer: unknown;
    let stopped = false;
    const schedule = () => {
      timer = clock.setTimeout(() => {
        this.#guard
          .run('renew', () => RENEW.run(redis, [leaseKey], [token, leaseTtlMs]))
          .then(() => {
            if (!stopped) schedule();
          });
      }, leaseTtlMs / 3);
      (timer as { unref?: () => void } | undefined)?.unref?.();
    };
    schedule();
    return () => {
      stopped = true;
      clock.clearTimeout(timer);
    };
  }

  // WRITE: the fence written, 0 when refused, -1 when Redis or the serializer failed.
  async #write(
    keys: readonly [string, string, string],
    entry: Entry<V>,
    fence: number,
    token: string,
  ): Promise<number> {
    let encoded: Encoded;
    try {
      encoded = encodeEntry(entry, this.#o.clock.now(), this.#o.serializer);
    } catch (error) {
      this.#reportError('serialize', error);
      if (fence > 0)
        await this.#guard.run('release', () => RELEASE.run(this.#o.redis, [keys[1]], [token]));
      return -1;
    }
    const { header, text, keepMs } = encoded;
    const reply = await this.#guard.run('write', () =>
      WRITE.run(this.#o.redis, keys, [fence, token, header, text, keepMs, FENCE_KEEP_MS]),
    );
    if (reply === DOWN) return -1;
    return Number(reply);
  }

  // After a write: index its tags and tell the other processes.
  async #announce(key: string, entry: Entry<V>): Promise<void> {
    const tags = entry.tags;
    if (tags !== undefined && tags.length > 0) {
      const now = this.#o.clock.now();
      const keepMs =
        entry.freshUntil === Number.POSITIVE_INFINITY
          ? -1
          : Math.max(1, Math.round(Math.max(entry.staleUntil, entry.errorUntil) - now));
      await Promise.all(
        tags.map((tag) =>
          this.#guard.run('tag', () => TAG.run(this.#o.redis, [this.#tagKey(tag)], [key, keepMs])),
        ),
      );
    }
    await this.bus.publish({ kind: 'key', key });
  }

  // --- waiting for another process ------------------------------------------------------------

  #waitFor(key: string, ms: number, signal: AbortSignal): Promise<void> {
    const clock = this.#o.clock;
    return new Promise<void>((resolve) => {
      let wakes = this.#waiters.get(key);
      if (wakes === undefined) {
        wakes = new Set();
        this.#waiters.set(key, wakes);
      }
      const set = wakes;
      const done = (): void => {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.#waiters.get(key) === set) this.#waiters.delete(key);
        resolve();
      };
      const timer = clock.setTimeout(done, ms);
      (timer as { unref?: () => void } | undefined)?.unref?.();
      signal.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  #wake(key: string): void {
    const wakes = this.#waiters.get(key);
    if (wakes === undefined) return;
    for (const wake of [...wakes]) wake();
  }

  #invalidated(message: Invalidation): void {
    if (message.kind === 'key') {
      const key = message.key;
      // A caller waiting for this key's value keeps its load's right to fill L1: its next LOOKUP
      // runs after the write it was told about.
      const waiting = this.#waiters.has(key);
      this.#local.evict(key, !waiting);
      this.#wake(key);
    } else if (message.kind === 'tag') {
      this.#local.evictTag(message.tag);
    } else {
      this.#local.clear();
    }
  }

  // --- encoding -------------------------------------------------------------------------------

  #keys(key: string): readonly [string, string, string] {
    const prefix = this.#o.prefix;
    return [slotKey(prefix, key), slotKey(prefix, key, ':lease'), slotKey(prefix, key, ':fence')];
  }

  #tagKey(tag: string): string {
    return slotKey(`${this.#o.prefix}tag:`, tag);
  }

  // A stored string as an entry on this process's clock (`localNow`); undefined when there is
  // none or it does not parse. Its age is the server's: `serverNow` minus when it was written.
  #decode(raw: string | null, serverNow: number, localNow: number): Entry<V> | undefined {
    if (raw === null) return undefined;
    try {
      return decodeEntry(raw, serverNow, localNow, this.#o.serializer);
    } catch (error) {
      this.#reportError('deserialize', error);
      return undefined;
    }
  }

  #reportError(operation: string, error: unknown): void {
    if (channels.storeError.hasSubscribers)
      channels.storeError.publish({ name: this.#o.name, operation, error });
  }
}

// UNLINKs every key of one node under `prefix`, except the fencing counters, which must keep
// counting so a load in flight cannot write back what was cleared.
async function unlinkMatching(node: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
    cursor = next;
    const doomed = keys.filter((k) => !k.endsWith('}:fence'));
    if (doomed.length > 0) {
      // One UNLINK per key: on a Cluster node the keys span slots.
      await Promise.all(doomed.map((k) => node.unlink(k)));
    }
  } while (cursor !== '0');
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
