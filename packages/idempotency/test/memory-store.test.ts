// The memory store's bound: beyond maxKeys the oldest claimed record goes. A model-based test
// against a plain array kept in claim order, evicting from its front, over every mix of claims,
// completes, releases, expiry and prune; and the default fingerprint against its definition.
import { createHash } from 'node:crypto';
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultFingerprint, MemoryIdempotencyStore } from '../src/index.js';

interface ModelRecord {
  key: string;
  running: boolean;
  fingerprint: string;
  token: number;
  leaseUntil: number;
  expiresAt: number;
}

class Model {
  now = 0;
  lastToken = 0;
  evicted = 0;
  // Oldest claim first.
  records: ModelRecord[] = [];
  readonly tokens = new Map<string, number>();
  constructor(readonly maxKeys: number) {}

  live(key: string): ModelRecord | undefined {
    const i = this.records.findIndex((r) => r.key === key);
    if (i === -1) return undefined;
    const record = this.records[i] as ModelRecord;
    if (record.expiresAt > this.now) return record;
    this.records.splice(i, 1);
    return undefined;
  }
}

interface Real {
  clock: FakeClock;
  store: MemoryIdempotencyStore;
}

const LEASE_MS = 300;
const TTL_MS = 1_000;
const RESPONSE = { status: 201, headers: [], body: new Uint8Array(0) };

class Claim implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const actual = real.store.claim(this.key, `fp-${this.key}`, LEASE_MS, TTL_MS);
    const record = model.live(this.key);
    if (record !== undefined && !record.running) {
      expect(actual.state).toBe('completed');
    } else if (record !== undefined && record.leaseUntil > model.now) {
      expect(actual).toEqual({
        state: 'running',
        fingerprint: record.fingerprint,
        leaseRemainingMs: record.leaseUntil - model.now,
      });
    } else {
      if (record !== undefined) model.records.splice(model.records.indexOf(record), 1);
      const token = ++model.lastToken;
      model.tokens.set(this.key, token);
      model.records.push({
        key: this.key,
        running: true,
        fingerprint: `fp-${this.key}`,
        token,
        leaseUntil: model.now + LEASE_MS,
        expiresAt: model.now + TTL_MS,
      });
      while (model.records.length > model.maxKeys) {
        const oldest = model.records.shift() as ModelRecord;
        if (oldest.expiresAt > model.now) model.evicted++;
      }
      expect(actual).toEqual({ state: 'claimed', token });
    }
    expect(real.store.stats()).toEqual({ keys: model.records.length, evicted: model.evicted });
  }
  toString = () => `claim(${this.key})`;
}

class Finish implements fc.Command<Model, Real> {
  constructor(
    readonly key: string,
    readonly complete: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.tokens.has(this.key);
  run(model: Model, real: Real): void {
    const token = model.tokens.get(this.key) as number;
    const actual = this.complete
      ? real.store.complete(this.key, token, RESPONSE, TTL_MS)
      : real.store.release(this.key, token);
    const record = model.live(this.key);
    const held = record?.running === true && record.token === token;
    if (held && this.complete) {
      record.running = false;
      record.expiresAt = model.now + TTL_MS;
    } else if (held) {
      model.records.splice(model.records.indexOf(record), 1);
    }
    expect(actual).toBe(held);
    expect(real.store.stats().keys).toBe(model.records.length);
  }
  toString = () => `${this.complete ? 'complete' : 'release'}(${this.key})`;
}

class Elapse implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(model: Model, real: Real): void {
    model.now += this.ms;
    real.clock.advance(this.ms);
  }
  toString = () => `elapse(${this.ms})`;
}

class Prune implements fc.Command<Model, Real> {
  check = () => true;
  run(model: Model, real: Real): void {
    real.store.prune();
    model.records = model.records.filter((r) => r.expiresAt > model.now);
    expect(real.store.stats().keys).toBe(model.records.length);
  }
  toString = () => 'prune()';
}

describe('MemoryIdempotencyStore: maxKeys', () => {
  it('evicts in claim order, as a list evicting from its front does', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const commands = fc.commands(
      [
        key.map((k) => new Claim(k)),
        key.map((k) => new Claim(k)),
        fc.tuple(key, fc.boolean()).map(([k, complete]) => new Finish(k, complete)),
        fc.integer({ min: 1, max: 6 }).map((n) => new Elapse(n * 100)),
        fc.constant(new Prune()),
      ],
      { maxCommands: 80 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), commands, (maxKeys, cmds) => {
        const clock = new FakeClock(0);
        const store = new MemoryIdempotencyStore({ maxKeys, clock });
        fc.modelRun(() => ({ model: new Model(maxKeys), real: { clock, store } }), cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps evicting in order across many claims and a close', async () => {
    const store = new MemoryIdempotencyStore({ maxKeys: 3 });
    for (let i = 0; i < 1_000; i++) store.claim(`k${i}`, 'f', 60_000, 60_000);
    expect(store.stats()).toEqual({ keys: 3, evicted: 997 });
    expect(store.claim('k997', 'f', 60_000, 60_000).state).toBe('running');
    expect(store.claim('k996', 'f', 60_000, 60_000).state).toBe('claimed');
    await store.close();
    for (let i = 0; i < 4; i++) store.claim(`n${i}`, 'f', 60_000, 60_000);
    expect(store.claim('n0', 'f', 60_000, 60_000).state).toBe('claimed');
    expect(store.claim('n3', 'f', 60_000, 60_000).state).toBe('running');
  });
});

describe('defaultFingerprint', () => {
  const reference = (method: string, path: string, body: Uint8Array) =>
    createHash('sha256')
      .update(Buffer.concat([Buffer.from(`${method.toUpperCase()}\0${path}\0`), body]))
      .digest('hex');

  it('hashes the upper-case method, NUL, path, NUL and the body, for any text and size', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom('POST', 'post', 'Patch', 'ß'), fc.string({ unit: 'grapheme' })),
        fc.string({ unit: fc.oneof(fc.constant('\ud800'), fc.string({ unit: 'binary' })) }),
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.integer({ min: 4_000, max: 70_000 }).map((n) => new Uint8Array(n).fill(7)),
        ),
        (method, path, body) => {
          expect(defaultFingerprint({ method, path, headers: {}, body })).toBe(
            reference(method, path, body),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('MemoryIdempotencyStore: onSettled', () => {
  const response = { status: 201, headers: [], body: new Uint8Array([1]) };

  it('calls the listeners of a key on its complete and release, until each stops', () => {
    const store = new MemoryIdempotencyStore({ clock: new FakeClock() });
    const heard: string[] = [];
    const listener = () => heard.push('a');
    const stopA = store.onSettled('k', listener);
    const stopTwice = store.onSettled('k', listener); // the same function twice: two listeners
    const stopOther = store.onSettled('other', () => heard.push('other'));
    const first = store.claim('k', 'fp', 1_000, 10_000) as { token: number };
    expect(store.complete('k', first.token + 1, response, 10_000)).toBe(false); // no change
    expect(heard).toEqual([]);
    expect(store.complete('k', first.token, response, 10_000)).toBe(true);
    expect(heard).toEqual(['a', 'a']);
    stopA();
    stopA(); // stopping again changes nothing
    const other = store.claim('other', 'fp', 1_000, 10_000) as { token: number };
    expect(store.release('other', other.token)).toBe(true);
    expect(heard).toEqual(['a', 'a', 'other']);
    stopTwice();
    stopOther();
    const again = store.claim('other', 'fp', 1_000, 10_000) as { token: number };
    store.release('other', again.token);
    expect(heard).toEqual(['a', 'a', 'other']);
  });

  it('calls the listeners of a running key forgotten to stay within maxKeys', () => {
    const store = new MemoryIdempotencyStore({ maxKeys: 1, clock: new FakeClock() });
    let heard = 0;
    store.onSettled('a', () => heard++);
    store.claim('a', 'fp', 1_000, 10_000);
    store.claim('b', 'fp', 1_000, 10_000);
    expect(heard).toBe(1);
    expect(store.claim('a', 'fp', 1_000, 10_000).state).toBe('claimed');
  });
});
