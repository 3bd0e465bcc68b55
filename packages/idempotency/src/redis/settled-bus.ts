// Hears the announcements of settled keys (see scripts.ts) for the duplicates waiting under
// `onConcurrent: 'wait'`, so they look again at once instead of at their next poll.
//
// One subscriber connection per store, opened when the first duplicate starts waiting and closed
// when the last one stops. It lives only while a request is held open anyway, so a store nobody
// waits on holds no connection of its own, and a process whose client is closed exits without the
// store's `close()`; a burst of waiters shares it. Each waited key is its own channel (in the
// key's slot on a Cluster, so announcements are sharded), subscribed while someone waits for it.
//
// A listener is called once when its subscription is confirmed: an announcement sent before that
// could not be heard, so it looks again. The confirmation is the reply to a SUBSCRIBE sent for each
// listener, even on a channel already subscribed: replies and messages share the connection, so
// an announcement that reached the process before the listener was registered came before that
// reply. Likewise every listener is called when the connection is back after a loss. While it is
// down nothing is heard; the waiters' polling covers that.

import { callListener } from '@bulwark/kernel';
import type { Cluster, Redis } from 'ioredis';

/** One store's subscriber for the settled channels of its keys. @internal */
export class SettledBus {
  readonly #redis: Redis | Cluster;
  readonly #sharded: boolean;
  readonly #listeners = new Map<string, Set<() => void>>();
  #subscriber: Redis | Cluster | undefined;

  constructor(redis: Redis | Cluster) {
    this.#redis = redis;
    this.#sharded = isCluster(redis);
  }

  /** True on a Cluster: announcements and subscriptions are sharded (SPUBLISH, SSUBSCRIBE). */
  get sharded(): boolean {
    return this.#sharded;
  }

  /** True while the subscriber connection exists (someone waits). */
  get open(): boolean {
    return this.#subscriber !== undefined;
  }

  /** Calls `listener` on each announcement on `channel` (and see above); returns the stop. */
  listen(channel: string, listener: () => void): () => void {
    let listeners = this.#listeners.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
    }
    const registered = () => listener();
    listeners.add(registered);
    const subscriber = this.#subscriberNow();
    this.#subscribe(subscriber, channel).then(
      () => {
        if (listeners.has(registered)) callListener(registered, undefined);
      },
      () => {
        // Not subscribed (the connection is down or closing): the waiter polls, and a connection
        // that comes back calls every listener.
      },
    );
    return () => this.#stop(channel, listeners, registered);
  }

  /** Closes the subscriber connection; listeners still registered are no longer called. */
  close(): void {
    this.#listeners.clear();
    this.#closeSubscriber();
  }

  #stop(channel: string, listeners: Set<() => void>, registered: () => void): void {
    if (!listeners.delete(registered) || listeners.size !== 0) return;
    if (this.#listeners.get(channel) !== listeners) return;
    this.#listeners.delete(channel);
    if (this.#listeners.size === 0) {
      this.#closeSubscriber();
      return;
    }
    const subscriber = this.#subscriber;
    if (subscriber === undefined) return;
    const done = this.#sharded
      ? (subscriber as Cluster).sunsubscribe(channel)
      : subscriber.unsubscribe(channel);
    done.catch(() => {
      // A connection that is down has no subscription left to end.
    });
  }

  #subscriberNow(): Redis | Cluster {
    if (this.#subscriber !== undefined) return this.#subscriber;
    const redis = this.#redis;
    // The offline queue holds the first SUBSCRIBE until the new connection is up, whatever the
    // caller's client says about its own commands.
    const subscriber = isCluster(redis)
      ? redis.duplicate(undefined, { shardedSubscribers: true, enableOfflineQueue: true })
      : redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    subscriber.on('error', () => {
      // Connection errors while Redis is away: the store's own calls report the outage.
    });
    subscriber.on(this.#sharded ? 'smessage' : 'message', (channel: string) =>
      this.#heard(channel),
    );
    this.#watch(subscriber);
    this.#subscriber = subscriber;
    return subscriber;
  }

  #subscribe(subscriber: Redis | Cluster, channel: string): Promise<unknown> {
    return this.#sharded
      ? (subscriber as Cluster).ssubscribe(channel)
      : subscriber.subscribe(channel);
  }

  // After a lost connection is back: subscribe every channel again explicitly (ioredis would
  // too, but only the reply makes it certain), then have every listener look again.
  #watch(subscriber: Redis | Cluster): void {
    let lost = false;
    const down = () => {
      lost = true;
    };
    const back = () => {
      if (!lost || this.#subscriber !== subscriber) return;
      lost = false;
      for (const [channel, listeners] of this.#listeners)
        this.#subscribe(subscriber, channel).then(
          () => {
            for (const listener of [...listeners]) callListener(listener, undefined);
          },
          () => {},
        );
    };
    subscriber.on('close', down);
    if (this.#sharded) {
      subscriber.on('-subscriber', down);
      subscriber.on('subscribersReady', back);
    }
    subscriber.on('ready', back);
  }

  #heard(channel: string): void {
    const listeners = this.#listeners.get(channel);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) callListener(listener, undefined);
  }

  #closeSubscriber(): void {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber === undefined) return;
    // Nothing it would still send matters, and quit() on a lost connection waits for its return.
    subscriber.disconnect();
  }
}

/** True for an ioredis `Cluster` (structurally: it has `nodes()`). @internal */
export function isCluster(redis: Redis | Cluster): redis is Cluster {
  return typeof (redis as Cluster).nodes === 'function' && (redis as Cluster).isCluster === true;
}
