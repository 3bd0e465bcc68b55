// Model-based test: random sequences of get (through a loader), set, delete, deleteByTag, clear
// and time passing, against a map of key → { value, freshUntil, tags }. The key space is smaller
// than `max`, so nothing is evicted and the model is exact: after every command, peek() of every
// key agrees with the model, and a get calls the loader exactly when the model has no fresh value.
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { type Cache, createCache } from '../src/index.js';

const KEYS = ['a', 'b', 'c', 'd'];
const TAGS = ['red', 'blue'];
const TTL = 100;

interface Held {
  value: string;
  freshUntil: number;
  tags: readonly string[];
}
type Model = { entries: Map<string, Held>; loads: number };
interface Real {
  cache: Cache<string>;
  clock: FakeClock;
  loads: number;
}
type Command = fc.AsyncCommand<Model, Real>;

function fresh(model: Model, key: string, now: number): Held | undefined {
  const held = model.entries.get(key);
  return held !== undefined && now < held.freshUntil ? held : undefined;
}

function agree(model: Model, real: Real): void {
  const now = real.clock.now();
  for (const key of KEYS) expect(real.cache.peek(key), key).toBe(fresh(model, key, now)?.value);
  expect(real.loads).toBe(model.loads);
}

class Get implements Command {
  constructor(
    readonly key: string,
    readonly tags: readonly string[],
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const now = real.clock.now();
    const expected = fresh(model, this.key, now);
    const loaded = `loaded-${model.loads + 1}`;
    const value = await real.cache.get(
      this.key,
      (context) => {
        real.loads++;
        context.setTags(this.tags);
        return loaded;
      },
      undefined,
    );
    if (expected !== undefined) expect(value).toBe(expected.value);
    else {
      expect(value).toBe(loaded);
      model.loads++;
      model.entries.set(this.key, { value: loaded, freshUntil: now + TTL, tags: this.tags });
    }
    agree(model, real);
  }
  toString = () => `get(${this.key}, [${this.tags}])`;
}

class Set_ implements Command {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly ttlMs: number,
    readonly tags: readonly string[],
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    await real.cache.set(this.key, this.value, { ttlMs: this.ttlMs, tags: this.tags });
    model.entries.set(this.key, {
      value: this.value,
      freshUntil: real.clock.now() + this.ttlMs,
      tags: this.tags,
    });
    agree(model, real);
  }
  toString = () => `set(${this.key}, ${this.value}, ${this.ttlMs}, [${this.tags}])`;
}

class Delete implements Command {
  constructor(readonly key: string) {}
  check = () => true;
  async run(model: Model, real: Real) {
    await real.cache.delete(this.key);
    model.entries.delete(this.key);
    agree(model, real);
  }
  toString = () => `delete(${this.key})`;
}

class DeleteByTag implements Command {
  constructor(readonly tag: string) {}
  check = () => true;
  async run(model: Model, real: Real) {
    await real.cache.deleteByTag(this.tag);
    for (const [key, held] of model.entries)
      if (held.tags.includes(this.tag)) model.entries.delete(key);
    agree(model, real);
  }
  toString = () => `deleteByTag(${this.tag})`;
}

class Clear implements Command {
  check = () => true;
  async run(model: Model, real: Real) {
    await real.cache.clear();
    model.entries.clear();
    agree(model, real);
  }
  toString = () => 'clear()';
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real) {
    real.clock.advance(this.ms);
    if (real.clock.now() % 3 === 0) real.cache.prune(); // pruning never changes what is served
    agree(model, real);
  }
  toString = () => `advance(${this.ms})`;
}

it('model: get/set/delete/deleteByTag/clear/time agree with a map of fresh values', async () => {
  const key = fc.constantFrom(...KEYS);
  const tags = fc.subarray(TAGS);
  const commands = [
    fc.tuple(key, tags).map(([k, t]) => new Get(k, t)),
    fc
      .tuple(key, fc.string({ maxLength: 3 }), fc.integer({ min: 1, max: 300 }), tags)
      .map(([k, v, ttl, t]) => new Set_(k, `set-${v}`, ttl, t)),
    key.map((k) => new Delete(k)),
    fc.constantFrom(...TAGS).map((t) => new DeleteByTag(t)),
    fc.constant(new Clear()),
    fc.integer({ min: 1, max: 150 }).map((ms) => new Advance(ms)),
  ];
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (cmds) => {
      const clock = new FakeClock(0);
      const cache = createCache<string>({ clock, ttlMs: TTL, max: 100, earlyRefresh: false });
      await fc.asyncModelRun(
        () => ({
          model: { entries: new Map(), loads: 0 },
          real: { cache, clock, loads: 0 },
        }),
        cmds,
      );
    }),
    { numRuns: 200 },
  );
});
