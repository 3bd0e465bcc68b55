// L1 invalidation across processes over Redis pub/sub. Every write, delete, tag delete and clear
// is published on one channel; every other instance evicts what it names from its L1 and wakes
// its callers waiting for that key's value. On a Cluster the channel is a sharded one
// (SSUBSCRIBE/SPUBLISH, Redis 7) when the server takes it, so messages go to one shard instead
// of every node; otherwise plain SUBSCRIBE/PUBLISH.
//
// While the subscription is down an instance cannot hear invalidations: it clears its L1 when it
// loses the subscription and again once it is back (what it loaded in between may have been
// invalidated unheard), so it never serves, for longer than the outage, a value others replaced.

import type { Cluster, Redis } from 'ioredis';

/** What a message asks: evict a key, evict a tag's keys, or clear everything. @internal */
export type Invalidation =
  | { kind: 'key'; key: string }
  | { kind: 'tag'; tag: string }
  | { kind: 'all' };

/** Where the bus delivers what it hears. @internal */
export interface BusListener {
  invalidated(message: Invalidation): void;
  /** The subscription was lost (`false`) or is back (`true`). */
  subscribed(up: boolean): void;
  error(operation: string, error: unknown): void;
}

const SEPARATOR = '\n';

/** One subscriber connection and the publishing side of the invalidation channel. @internal */
export class InvalidationBus {
  readonly channel: string;
  readonly #redis: Redis | Cluster;
  readonly #origin: string;
  readonly #listener: BusListener;
  #subscriber: Redis | Cluster | undefined;
  #sharded = false;
  #up = false;
  #closed = false;
  #markFirstUp!: () => void;
  /** Resolves the first time the subscription is live. */
  readonly firstUp = new Promise<void>((resolve) => {
    this.#markFirstUp = resolve;
  });

  constructor(redis: Redis | Cluster, channel: string, origin: string, listener: BusListener) {
    this.#redis = redis;
    this.channel = channel;
    this.#origin = origin;
    this.#listener = listener;
  }

  /** True while the subscription is live. */
  get up(): boolean {
    return this.#up;
  }

  /** True when the channel is a sharded one (Cluster, Redis 7). */
  get sharded(): boolean {
    return this.#sharded;
  }

  /** Opens the subscriber connection; resolves once subscribed (or failed: it keeps retrying). */
  async start(): Promise<void> {
    const redis = this.#redis;
    if (isCluster(redis)) {
      // Try sharded pub/sub first; fall back to the plain kind where it is refused.
      const sharded = redis.duplicate(undefined, {
        shardedSubscribers: true,
        enableOfflineQueue: true,
      });
      if (await this.#subscribe(sharded, true)) return;
      sharded.disconnect();
    }
    // The offline queue holds the SUBSCRIBE until the new connection is up, whatever the
    // caller's client says about its own commands.
    const plain = isCluster(redis)
      ? redis.duplicate(undefined, { enableOfflineQueue: true })
      : redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    await this.#subscribe(plain, false);
  }

  /** Publishes a message for the other instances (never rejects; failures go to the listener). */
  publish(message: Invalidation): Promise<void> {
    const text =
      message.kind === 'key'
        ? `${this.#origin}${SEPARATOR}k${SEPARATOR}${message.key}`
        : message.kind === 'tag'
          ? `${this.#origin}${SEPARATOR}t${SEPARATOR}${message.tag}`
          : `${this.#origin}${SEPARATOR}c${SEPARATOR}`;
    const sent = this.#sharded
      ? (this.#redis as Cluster).spublish(this.channel, text)
      : this.#redis.publish(this.channel, text);
    return sent.then(
      () => {},
      (error: unknown) => this.#listener.error('publish', error),
    );
  }

  /** Closes the subscriber connection. */
  async close(): Promise<void> {
    this.#closed = true;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#up = false;
    if (subscriber === undefined) return;
    try {
      await subscriber.quit();
    } catch {
      subscriber.disconnect();
    }
  }

  async #subscribe(subscriber: Redis | Cluster, sharded: boolean): Promise<boolean> {
    subscriber.on('error', () => {
      // Connection errors while Redis is away; the tier's own calls report the outage.
    });
    const onMessage = (channel: string, text: string) => {
      if (channel === this.channel) this.#heard(text);
    };
    subscriber.on(sharded ? 'smessage' : 'message', onMessage);
    this.#subscriber = subscriber;
    try {
      await this.#subscribeOn(subscriber, sharded);
    } catch (error) {
      if (sharded) {
        subscriber.off('smessage', onMessage);
        this.#subscriber = undefined;
        return false;
      }
      // Plain: keep the connection; the next 'ready' subscribes again.
      this.#listener.error('subscribe', error);
    }
    this.#sharded = sharded;
    this.#watch(subscriber, sharded);
    if (subscriber.status === 'ready') this.#setUp(true);
    return true;
  }

  #subscribeOn(subscriber: Redis | Cluster, sharded: boolean): Promise<unknown> {
    return sharded
      ? (subscriber as Cluster).ssubscribe(this.channel)
      : subscriber.subscribe(this.channel);
  }

  // Follows the subscription's health through the connection's events.
  #watch(subscriber: Redis | Cluster, sharded: boolean): void {
    const down = () => this.#setUp(false);
    subscriber.on('close', down);
    subscriber.on('end', down);
    if (sharded) {
      // A shard's subscriber lost, and all of them back.
      subscriber.on('-subscriber', down);
      subscriber.on('subscribersReady', () => this.#setUp(true));
    }
    subscriber.on('ready', () => {
      // Subscribe again explicitly (ioredis also resubscribes): only then is it certainly back.
      this.#subscribeOn(subscriber, sharded).then(
        () => this.#setUp(true),
        (error: unknown) => this.#listener.error('subscribe', error),
      );
    });
  }

  #setUp(up: boolean): void {
    if (this.#closed || up === this.#up) return;
    this.#up = up;
    if (up) this.#markFirstUp();
    this.#listener.subscribed(up);
  }

  #heard(text: string): void {
    const first = text.indexOf(SEPARATOR);
    if (first < 0 || text.slice(0, first) === this.#origin) return;
    const kind = text[first + 1];
    const rest = text.slice(first + 3);
    if (kind === 'k') this.#listener.invalidated({ kind: 'key', key: rest });
    else if (kind === 't') this.#listener.invalidated({ kind: 'tag', tag: rest });
    else if (kind === 'c') this.#listener.invalidated({ kind: 'all' });
  }
}

/** True for an ioredis `Cluster` (structurally: it has `nodes()`). @internal */
export function isCluster(redis: Redis | Cluster): redis is Cluster {
  return typeof (redis as Cluster).nodes === 'function' && (redis as Cluster).isCluster === true;
}
