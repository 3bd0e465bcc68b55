// Model-based test: random sequences of acquire / release / destroy / double release / abort /
// time passing, against a pool whose `create` sometimes fails, is slow or hangs past its
// timeout, and whose `destroy` sometimes throws. After every step:
//   borrowed <= max and size <= max; the pool's borrowed count equals the leases held;
//   no resource is held twice; no held resource was destroyed.
// At the end, once time passes the timeouts, every acquire has settled and drain empties it.
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { AlreadyReleasedError, createPool, type Lease, type Pool } from '../src/index.js';
import { settle, type Thing, track } from './helpers.js';

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
      () => {},
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
      fc.boolean(),
      plans,
      fc.commands(commands, { size: 'large', maxCommands: 60 }),
      async (max, fifo, plan: Plan[], cmds) => {
        const clock = new FakeClock();
        let creates = 0;
        let nextId = 0;
        const pool = createPool<Thing>({
          create: () => {
            const { fail, delayMs } = plan[creates++ % plan.length]!;
            if (fail) throw new Error('create failed');
            const thing = { id: nextId++, destroyed: false };
            if (delayMs === 0) return thing;
            return new Promise((resolve) => clock.setTimeout(() => resolve(thing), delayMs));
          },
          destroy: (thing) => {
            thing.destroyed = true;
            if (plan[thing.id % plan.length]!.destroyThrows) throw new Error('destroy failed');
          },
          max,
          fifo,
          acquireTimeoutMs: 300,
          createTimeoutMs: 50,
          clock,
        });
        const real: Real = { pool, clock, max, held: [], released: [], attempts: [] };
        await fc.asyncModelRun(() => ({ model: {}, real }), cmds);

        for (const lease of real.held.splice(0)) lease.release();
        await clock.advanceAsync(400);
        await settle(3);
        for (const attempt of real.attempts) expect(attempt.state.settled).toBe(true);
        for (const lease of real.held.splice(0)) lease.release();
        checkInvariants(real);
        await pool.close(0);
        await clock.advanceAsync(31_000);
        await settle(3);
        expect(pool.stats().size).toBe(0);
      },
    ),
    { numRuns: 150 },
  );
});
