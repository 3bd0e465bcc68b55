// The metrics channel: one message per get, set and removal, carrying the cache's name, for every
// cache class; nothing is published while nobody subscribes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import {
  LFUCache,
  LRUCache,
  type MetricsEvent,
  metricsChannel,
  WTinyLFUCache,
} from '../src/index.js';

const classes = [
  ['LRUCache', LRUCache],
  ['LFUCache', LFUCache],
  ['WTinyLFUCache', WTinyLFUCache],
] as const;

function record(run: () => void): MetricsEvent[] {
  const events: MetricsEvent[] = [];
  const listen = (message: unknown) => events.push(message as MetricsEvent);
  subscribe('bulwark:lru-lfu:metrics', listen);
  try {
    run();
  } finally {
    unsubscribe('bulwark:lru-lfu:metrics', listen);
  }
  return events;
}

describe.each(classes)('%s on bulwark:lru-lfu:metrics', (_, Cache) => {
  it('publishes gets, sets and removals with the cache name', () => {
    const clock = new FakeClock(0);
    const cache = new Cache<string, number>({ capacity: 10, name: 'sessions', clock });
    const events = record(() => {
      cache.get('a');
      cache.set('a', 1);
      cache.get('a');
      cache.set('a', 2);
      cache.set('b', 3, { ttlMs: 10 });
      clock.advance(10);
      cache.get('b');
      cache.delete('a');
    });
    const seen = events.map((e) => `${e.name} ${e.op} ${String(e.key)} ${e.result}`);
    expect(seen).toEqual([
      'sessions get a miss',
      'sessions set a add',
      'sessions get a hit',
      'sessions set a update',
      'sessions set b add',
      'sessions remove b expire',
      'sessions get b expired',
      'sessions remove a delete',
    ]);
    expect(cache.stats().name).toBe('sessions');
  });

  it('reports evictions of a full cache and entries refused for their weight', () => {
    const cache = new Cache<string, number>({ capacity: 1, maxSize: 5, sizeOf: (v) => v });
    cache.set('a', 1);
    const events = record(() => {
      for (let i = 0; i < 5; i++) cache.set(`k${i}`, 1);
      cache.set('heavy', 6);
    });
    expect(events.filter((e) => e.op === 'remove' && e.result === 'evict').length).toBeGreaterThan(
      0,
    );
    expect(events.at(-1)).toMatchObject({ op: 'set', key: 'heavy', result: 'refused' });
  });

  it('publishes nothing while unsubscribed', () => {
    expect(metricsChannel.hasSubscribers).toBe(false);
    const cache = new Cache<string, number>({ capacity: 1 });
    cache.set('a', 1);
    cache.set('b', 1);
    expect(record(() => {})).toEqual([]);
  });
});
