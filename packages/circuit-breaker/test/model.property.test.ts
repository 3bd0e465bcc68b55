import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BrokenCircuitError,
  CircuitBreaker,
  type CircuitState,
  type StateChange,
} from '../src/index.js';

// A reference model of the breaker, written as plainly as the semantics read: the window is an
// array of outcomes filtered on demand, the open time a formula. The real breaker (ring buffers,
// buckets, per-epoch handlers) must agree with it after every command.

interface Config {
  window: { calls: number } | { ms: number; buckets: number };
  minimumCalls: number;
  failureRateThreshold: number;
  slowCallMs: number;
  slowCallRateThreshold: number;
  openMs: number;
  openMsMultiplier: number;
  maxOpenMs: number;
  halfOpenMaxCalls: number;
}

interface Outcome {
  at: number;
  failed: boolean;
  slow: boolean;
}

interface ModelCall {
  epoch: number;
  probe: boolean;
  startedAt: number;
  fails: boolean;
}

class Model {
  now = 0;
  state: CircuitState = 'closed';
  epoch = 0;
  openUntil = 0;
  consecutiveOpens = 0;
  probesAdmitted = 0;
  probesSucceeded = 0;
  outcomes: Outcome[] = [];
  changes: string[] = [];

  constructor(readonly config: Config) {}

  /** Outcomes still inside the window at `now`. */
  windowed(): Outcome[] {
    const window = this.config.window;
    if ('calls' in window) return this.outcomes.slice(-window.calls);
    const bucketMs = window.ms / window.buckets;
    const current = Math.floor(this.now / bucketMs);
    return this.outcomes.filter((o) => Math.floor(o.at / bucketMs) > current - window.buckets);
  }

  /** What reading `state` does: an open circuit whose time is up turns half-open. */
  observe(): CircuitState {
    if (this.state === 'open' && this.now >= this.openUntil) this.go('half-open', 'open-elapsed');
    return this.state;
  }

  /** Admit or reject a call; returns the call, or the rejecting state. */
  start(fails: boolean): ModelCall | { rejectedIn: CircuitState; retryAfterMs: number } {
    this.observe();
    const probe = this.state === 'half-open';
    if (this.state === 'closed' || (probe && this.probesAdmitted < this.config.halfOpenMaxCalls)) {
      if (probe) this.probesAdmitted++;
      return { epoch: this.epoch, probe, startedAt: this.now, fails };
    }
    return { rejectedIn: this.state, retryAfterMs: this.retryAfterMs() };
  }

  settle(call: ModelCall): void {
    const slow = this.now - call.startedAt > this.config.slowCallMs;
    if (call.epoch !== this.epoch) return;
    if (call.probe) {
      if (call.fails || slow) this.go('open', 'probe-failed');
      else if (++this.probesSucceeded === this.config.halfOpenMaxCalls)
        this.go('closed', 'probes-succeeded');
      return;
    }
    this.outcomes.push({ at: this.now, failed: call.fails, slow });
    const inWindow = this.windowed();
    if (inWindow.length < this.config.minimumCalls) return;
    const failureRate = inWindow.filter((o) => o.failed).length / inWindow.length;
    const slowRate = inWindow.filter((o) => o.slow).length / inWindow.length;
    if (failureRate >= this.config.failureRateThreshold) this.go('open', 'failure-rate');
    else if (slowRate >= this.config.slowCallRateThreshold) this.go('open', 'slow-call-rate');
  }

  retryAfterMs(): number {
    if (this.state === 'isolated') return Number.POSITIVE_INFINITY;
    return this.state === 'open' ? Math.max(0, this.openUntil - this.now) : 0;
  }

  go(to: CircuitState, reason: string): void {
    this.state = to;
    this.epoch++;
    if (to === 'open') {
      this.consecutiveOpens++;
      const { openMs, openMsMultiplier, maxOpenMs } = this.config;
      this.openUntil =
        this.now + Math.min(openMs * openMsMultiplier ** (this.consecutiveOpens - 1), maxOpenMs);
    }
    if (to === 'half-open') {
      this.probesAdmitted = 0;
      this.probesSucceeded = 0;
    }
    if (to === 'closed') {
      this.consecutiveOpens = 0;
      this.outcomes = [];
    }
    this.changes.push(`${to}:${reason}`);
  }
}

interface Pending {
  model: ModelCall;
  resolve: () => void;
  reject: () => void;
}

interface Real {
  clock: FakeClock;
  breaker: CircuitBreaker;
  changes: string[];
  pending: Pending[];
}

const ticks = async () => {
  for (let i = 0; i < 3; i++) await Promise.resolve();
};

async function check(model: Model, real: Real): Promise<void> {
  expect(real.breaker.state).toBe(model.observe());
  const stats = real.breaker.stats();
  if (model.state === 'closed') {
    const inWindow = model.windowed();
    expect(stats.windowCalls).toBe(inWindow.length);
    expect(stats.windowFailures).toBe(inWindow.filter((o) => o.failed).length);
    expect(stats.windowSlowCalls).toBe(inWindow.filter((o) => o.slow).length);
  }
  expect(stats.consecutiveOpens).toBe(model.consecutiveOpens);
  expect(stats.retryAfterMs).toBe(model.retryAfterMs());
  expect(real.changes).toEqual(model.changes);
}

class StartCall implements fc.AsyncCommand<Model, Real> {
  constructor(readonly fails: boolean) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const call = model.start(this.fails);
    let settle!: { resolve: () => void; reject: () => void };
    let ran = false;
    const promise = real.breaker.execute(
      () =>
        new Promise<string>((resolve, reject) => {
          ran = true;
          settle = { resolve: () => resolve('ok'), reject: () => reject(new Error('fail')) };
        }),
    );
    if ('rejectedIn' in call) {
      expect(ran).toBe(false);
      const error = await promise.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokenCircuitError);
      expect(error).toMatchObject({ state: call.rejectedIn, retryAfterMs: call.retryAfterMs });
    } else {
      expect(ran).toBe(true);
      promise.catch(() => {});
      real.pending.push({ model: call, ...settle });
    }
    await check(model, real);
  }
  toString = () => `start(${this.fails ? 'fail' : 'ok'})`;
}

class FinishCall implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (_model: Readonly<Model>) => true;
  async run(model: Model, real: Real): Promise<void> {
    if (real.pending.length === 0) return;
    const [call] = real.pending.splice(this.pick % real.pending.length, 1);
    if (call!.model.fails) call!.reject();
    else call!.resolve();
    await ticks();
    model.settle(call!.model);
    await check(model, real);
  }
  toString = () => `finish(#${this.pick})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.clock.advance(this.ms);
    model.now += this.ms;
    await check(model, real);
  }
  toString = () => `advance(${this.ms})`;
}

class Manual implements fc.AsyncCommand<Model, Real> {
  constructor(readonly action: 'open' | 'reset' | 'isolate') {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.breaker[this.action]();
    if (this.action === 'open') model.go('open', 'manual');
    else if (this.action === 'reset' && model.state !== 'closed') model.go('closed', 'manual');
    else if (this.action === 'isolate' && model.state !== 'isolated')
      model.go('isolated', 'manual');
    await check(model, real);
  }
  toString = () => this.action;
}

const config: fc.Arbitrary<Config> = fc
  .record({
    window: fc.oneof(
      fc.record({ calls: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ ms: fc.integer({ min: 10, max: 200 }), buckets: fc.integer({ min: 1, max: 5 }) }),
    ),
    minimumCalls: fc.integer({ min: 1, max: 8 }),
    failureRateThreshold: fc.constantFrom(0.2, 0.3, 0.5, 0.7, 1),
    slowCallMs: fc.constantFrom(Number.POSITIVE_INFINITY, 0, 5, 20),
    slowCallRateThreshold: fc.constantFrom(0.3, 0.5, 1),
    openMs: fc.integer({ min: 1, max: 100 }),
    openMsMultiplier: fc.constantFrom(1, 1.5, 2),
    extraOpenMs: fc.integer({ min: 0, max: 300 }),
    halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ extraOpenMs, ...c }) => ({
    ...c,
    minimumCalls: 'calls' in c.window ? Math.min(c.minimumCalls, c.window.calls) : c.minimumCalls,
    maxOpenMs: c.openMs + extraOpenMs,
  }));

const commands = fc.commands(
  [
    fc.boolean().map((fails) => new StartCall(fails)),
    fc.boolean().map((fails) => new StartCall(fails)),
    fc.nat(20).map((pick) => new FinishCall(pick)),
    fc.nat(20).map((pick) => new FinishCall(pick)),
    fc.integer({ min: 0, max: 120 }).map((ms) => new Advance(ms)),
    fc.constantFrom('open', 'reset', 'isolate').map((a) => new Manual(a as 'open')),
  ],
  { maxCommands: 80 },
);

describe('model-based: the breaker agrees with the reference model', () => {
  it('under random outcomes, latencies, clock moves and manual actions', async () => {
    await fc.assert(
      fc.asyncProperty(config, commands, async (cfg, cmds) => {
        const clock = new FakeClock(0);
        const changes: string[] = [];
        const breaker = new CircuitBreaker({
          ...cfg,
          clock,
          onStateChange: (change: StateChange) => changes.push(`${change.to}:${change.reason}`),
        });
        const model = new Model(cfg);
        await fc.asyncModelRun(
          () => ({ model, real: { clock, breaker, changes, pending: [] } }),
          cmds,
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe('half-open under concurrency', () => {
  it('admits exactly halfOpenMaxCalls of 100 concurrent callers and rejects the rest at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        async (halfOpenMaxCalls, oneFails) => {
          const clock = new FakeClock(0);
          const breaker = new CircuitBreaker({
            window: { calls: 1 },
            minimumCalls: 1,
            openMs: 1_000,
            halfOpenMaxCalls,
            clock,
          });
          await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
          clock.advance(1_000);
          const releases: ((fail: boolean) => void)[] = [];
          const callers = Array.from({ length: 100 }, () =>
            breaker.execute(
              () =>
                new Promise<void>((resolve, reject) =>
                  releases.push((fail) => (fail ? reject(new Error('probe')) : resolve())),
                ),
            ),
          );
          // Admission is decided synchronously: by now fn ran exactly halfOpenMaxCalls times.
          expect(releases).toHaveLength(halfOpenMaxCalls);
          const outcomes = await Promise.allSettled(
            callers.map((c, i) => (i < halfOpenMaxCalls ? Promise.resolve() : c)),
          );
          const rejected = outcomes.slice(halfOpenMaxCalls);
          for (const r of rejected) {
            expect(r.status).toBe('rejected');
            expect((r as PromiseRejectedResult).reason).toMatchObject({
              state: 'half-open',
              retryAfterMs: 0,
            });
          }
          expect(breaker.stats().rejected).toBe(100 - halfOpenMaxCalls);
          for (const [i, release] of releases.entries())
            release(oneFails && i === releases.length - 1);
          await Promise.allSettled(callers);
          expect(breaker.state).toBe(oneFails ? 'open' : 'closed');
        },
      ),
      { numRuns: 50 },
    );
  });
});
