// Model-based test: random sequences of acquire / release / destroy / double release / abort /
// ready() / clear() / time passing, against a pool whose `create` sometimes fails, is slow or
// hangs past its timeout, and whose `destroy` sometimes throws; with random `min`,
// `maxWaiting` and jittered `maxLifetimeMs`. After every step:
//   borrowed <= max and size <= max; the pool's borrowed count equals the leases held;
//   no resource is held twice; no held resource was destroyed;
//   `rejected` equals the QueueFullErrors callers got, exactly;
//   no idle resource has outlived `maxLifetimeMs` by more than one reap interval.
// At the end, once time passes the timeouts, every acquire and every ready() has settled,
// and close() empties the pool.
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  AlreadyReleasedError,
  createPool,
  isBulwarkError,
  type Lease,
  type Pool,
} from '../src/index.js';
import { settle, track } from './helpers.js';

interface Thing {
  id: number;
  destroyed: boolean;
  createdAt: number;
}

const MAX_LIFETIME_MS = 400;
const REAP_INTERVAL_MS = 50;

interface Plan {
  fail: boolean;
  delayMs: number;
  destroyThrows: boolean;
}

interface Real {
  pool: Pool<Thing>;
  clock: FakeClock;
  max: number;
  held: Lease<Thing>[];
  released: Lease<Thing>[];
  attempts: { state: { settled: boolean }; controller: AbortController }[];
  readies: { settled: boolean }[];
  made: Thing[];
  queueFull: number;
}

type Model = Record<string, never>;
type Command = fc.AsyncCommand<Model, Real>;

function checkInvariants(real: Real): void {
  const stats = real.pool.stats();
  expect(stats.borrowed).toBeLessThanOrEqual(real.max);
  expect(stats.size).toBeLessThanOrEqual(real.max);
  expect(stats.borrowed).toBe(real.held.length);
  const ids = real.held.map((lease) => lease.value.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const lease of real.held) expect(lease.value.destroyed).toBe(false);
  expect(stats.rejected).toBe(real.queueFull);
  const held = new Set(real.held.map((lease) => lease.value));
  const now = real.clock.now();
  for (const thing of real.made) {
    if (thing.destroyed || held.has(thing)) continue;
    expect(now - thing.createdAt).toBeLessThanOrEqual(MAX_LIFETIME_MS + REAP_INTERVAL_MS);
  }
}

const step = async (real: Real): Promise<void> => {
  await settle(2);
  checkInvariants(real);
};

class Acquire implements Command {
  constructor(
    readonly priority: number,
    readonly abortable: boolean,
  ) {}
  check = () => true;
  async run(_model: Model, real: Real) {
    const controller = new AbortController();
    const promise = real.pool.acquire({
      priority: this.priority,
      signal: this.abortable ? controller.signal : undefined,
    });
    promise.then(
      (lease) => real.held.push(lease),
      (error: unknown) => {
        if (isBulwarkError(error, 'BULWARK_QUEUE_FULL')) real.queueFull++;
      },
    );
    real.attempts.push({ state: track(promise), controller });
    await step(real);
  }
  toString = () => `acquire(p=${this.priority}${this.abortable ? ', abortable' : ''})`;
}

class Release implements Command {
  constructor(readonly index: number) {}
  check = () => true;
  async run(_model: Model, real: Real) {
    if (real.held.length > 0) {
      const [lease] = real.held.splice(this.index % real.held.length, 1);
      lease!.release();
      real.released.push(lease!);
    }
    await step(real);
  }
  toString = () => `release(${this.index})`;
}

class Destroy implements Command {
  constructor(readonly index: number) {}
  check = () => true;
  async run(_model: Model, real: Real) {
    if (real.held.length > 0) {
      const [lease] = real.held.splice(this.index % real.held.length, 1);
      void lease!.destroy();
      real.released.push(lease!);
    }
    await step(real);
  }
  toString = () => `destroy(${this.index})`;
}

class ReleaseAgain implements Command {
  constructor(readonly index: number) {}
  check = () => true;
  async run(_model: Model, real: Real) {
    if (real.released.length > 0) {
      const lease = real.released[this.index % real.released.length]!;
      expect(() => lease.release()).toThrow(AlreadyReleasedError);
    }
    await step(real);
  }
  toString = () => `releaseAgain(${this.index})`;
}

class Abort implements Command {
  constructor(readonly index: number) {}
  check = () => true;
  async run(_model: Model, real: Real) {
    if (real.attempts.length > 0) {
      real.attempts[this.index % real.attempts.length]!.controller.abort(new Error('aborted'));
    }
    await step(real);
  }
  toString = () => `abort(${this.index})`;
}

class Ready implements Command {
  check = () => true;
  async run(_model: Model, real: Real) {
    real.readies.push(track(real.pool.ready()));
    await step(real);
  }
  toString = () => 'ready()';
}

class Clear implements Command {
  check = () => true;
  async run(_model: Model, real: Real) {
    void real.pool.clear();
    await step(real);
  }
  toString = () => 'clear()';
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_model: Model, real: Real) {
    await real.clock.advanceAsync(this.ms);
    await step(real);
  }
  toString = () => `advance(${this.ms})`;
}

const acquire = fc
  .tuple(fc.constantFrom(0, 0, 0, 1, -1), fc.boolean())
  .map(([priority, abortable]) => new Acquire(priority, abortable));
const commands = [
  acquire,
  acquire,
  acquire,
  fc.nat(20).map((i) => new Release(i)),
  fc.nat(20).map((i) => new Release(i)),
  fc.nat(20).map((i) => new Destroy(i)),
  fc.nat(20).map((i) => new ReleaseAgain(i)),
  fc.nat(20).map((i) => new Abort(i)),
  fc.constant(new Ready()),
  fc.constant(new Clear()),
  fc.constantFrom(1, 10, 60, 250).map((ms) => new Advance(ms)),
];

const plans = fc.array(
  fc.record({
    fail: fc.nat(3).map((n) => n === 0),
    delayMs: fc.constantFrom(0, 0, 5, 80),
    destroyThrows: fc.boolean(),
  }),
  { minLength: 1, maxLength: 12 },
);

it('keeps its invariants and settles every acquire under random operations and faults', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.nat(4),
      fc.constantFrom(0, 1, 2, Number.POSITIVE_INFINITY),
      fc.boolean(),
      fc.integer(),
      plans,
      fc.commands(commands, { size: 'large', maxCommands: 60 }),
      async (max, minWanted, maxWaiting, fifo, seed, plan: Plan[], cmds) => {
        const clock = new FakeClock();
        const made: Thing[] = [];
        let state = seed >>> 0;
        const random = () => {
          state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
          return state / 2 ** 32;
        };
        let creates = 0;
        let nextId = 0;
        const pool = createPool<Thing>({
          create: () => {
            const { fail, delayMs } = plan[creates++ % plan.length]!;
            if (fail) throw new Error('create failed');
            const thing = { id: nextId++, destroyed: false, createdAt: 0 };
            const arrive = () => {
              thing.createdAt = clock.now();
              made.push(thing);
              return thing;
            };
            if (delayMs === 0) return arrive();
            return new Promise((resolve) => clock.setTimeout(() => resolve(arrive()), delayMs));
          },
          destroy: (thing) => {
            thing.destroyed = true;
            if (plan[thing.id % plan.length]!.destroyThrows) throw new Error('destroy failed');
          },
          max,
          min: Math.min(minWanted, max),
          maxWaiting,
          fifo,
          maxLifetimeMs: MAX_LIFETIME_MS,
          maxLifetimeJitter: 0.5,
          random,
          reapIntervalMs: REAP_INTERVAL_MS,
          acquireTimeoutMs: 300,
          createTimeoutMs: 50,
          clock,
        });
        const real: Real = {
          pool,
          clock,
          max,
          held: [],
          released: [],
          attempts: [],
          readies: [],
          made,
          queueFull: 0,
        };
        await fc.asyncModelRun(() => ({ model: {}, real }), cmds);

        for (const lease of real.held.splice(0)) lease.release();
        await clock.advanceAsync(400);
        await settle(3);
        for (const attempt of real.attempts) expect(attempt.state.settled).toBe(true);
        for (const lease of real.held.splice(0)) lease.release();
        checkInvariants(real);
        const closing = pool.close(0);
        await settle(2);
        for (const ready of real.readies) expect(ready.settled).toBe(true);
        const closed = track(closing);
        await clock.advanceAsync(31_000);
        await settle(3);
        expect(closed.settled).toBe(true);
        expect(pool.stats().size).toBe(0);
      },
    ),
    { numRuns: 150 },
  );
});
