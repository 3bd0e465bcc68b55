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
  halfOpenEvaluation: 'all-succeed' | 'failure-rate';
  /** When set, `openMs` is passed as this function of the consecutive opens (a custom interval). */
  openMsFunction: ((opens: number) => number) | undefined;
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
  /** Admitted while disabled: never recorded. */
  unobserved: boolean;
}

class Model {
  now = 0;
  state: CircuitState = 'closed';
  epoch = 0;
  openUntil = 0;
  consecutiveOpens = 0;
  probesAdmitted = 0;
  probesSucceeded = 0;
  probesFailed = 0;
  probesSlow = 0;
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
    const flows =
      this.state === 'closed' || this.state === 'metrics-only' || this.state === 'disabled';
    if (flows || (probe && this.probesAdmitted < this.config.halfOpenMaxCalls)) {
      if (probe) this.probesAdmitted++;
      const unobserved = this.state === 'disabled';
      return { epoch: this.epoch, probe, startedAt: this.now, fails, unobserved };
    }
    return { rejectedIn: this.state, retryAfterMs: this.retryAfterMs() };
  }

  settle(call: ModelCall): void {
    const slow = this.now - call.startedAt > this.config.slowCallMs;
    if (call.unobserved || call.epoch !== this.epoch) return;
    if (call.probe) {
      if (this.config.halfOpenEvaluation === 'all-succeed') {
        if (call.fails || slow) this.go('open', 'probe-failed');
        else if (++this.probesSucceeded === this.config.halfOpenMaxCalls)
          this.go('closed', 'probes-succeeded');
        return;
      }
      if (call.fails) this.probesFailed++;
      else this.probesSucceeded++;
      if (slow) this.probesSlow++;
      const finished = this.probesFailed + this.probesSucceeded;
      if (finished < this.config.halfOpenMaxCalls) return;
      const tooManyFailed = this.probesFailed / finished >= this.config.failureRateThreshold;
      const tooManySlow = this.probesSlow / finished >= this.config.slowCallRateThreshold;
      this.go(
        tooManyFailed || tooManySlow ? 'open' : 'closed',
        tooManyFailed || tooManySlow ? 'probe-failed' : 'probes-succeeded',
      );
      return;
    }
    this.outcomes.push({ at: this.now, failed: call.fails, slow });
    const inWindow = this.windowed();
    if (inWindow.length < this.config.minimumCalls || this.state === 'metrics-only') return;
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
      const { openMs, openMsMultiplier, maxOpenMs, openMsFunction } = this.config;
      const ms =
        openMsFunction === undefined
          ? openMs * openMsMultiplier ** (this.consecutiveOpens - 1)
          : openMsFunction(this.consecutiveOpens);
      this.openUntil = this.now + Math.min(ms, maxOpenMs);
    }
    if (to === 'half-open') {
      this.probesAdmitted = 0;
      this.probesSucceeded = 0;
      this.probesFailed = 0;
      this.probesSlow = 0;
    }
    if (to === 'closed' || to === 'disabled' || to === 'metrics-only') {
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
  if (model.state === 'closed' || model.state === 'metrics-only' || model.state === 'disabled') {
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
  constructor(
    readonly action: 'open' | 'reset' | 'isolate' | 'forceOpen' | 'disable' | 'metricsOnly',
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.breaker[this.action]();
    if (this.action === 'open') model.go('open', 'manual');
    else if (this.action === 'reset' && model.state !== 'closed') model.go('closed', 'manual');
    else if (
      (this.action === 'isolate' || this.action === 'forceOpen') &&
      model.state !== 'isolated'
    )
      model.go('isolated', 'manual');
    else if (this.action === 'disable' && model.state !== 'disabled')
      model.go('disabled', 'manual');
    else if (this.action === 'metricsOnly' && model.state !== 'metrics-only')
      model.go('metrics-only', 'manual');
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
    halfOpenEvaluation: fc.constantFrom('all-succeed' as const, 'failure-rate' as const),
    // A custom interval: a deterministic stand-in for a jittered one (jitter is a per-open number).
    customOpenMs: fc.boolean(),
  })
  .map(({ extraOpenMs, customOpenMs, ...c }) => ({
    ...c,
    openMsFunction: customOpenMs ? (opens: number) => c.openMs + ((opens * 37) % 50) : undefined,
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
    fc
      .constantFrom('open', 'reset', 'isolate', 'forceOpen', 'disable', 'metricsOnly')
      .map((a) => new Manual(a as 'open')),
  ],
  { maxCommands: 80 },
);

// Configurations that open after a failure or two and reopen soon: most runs spend their commands
// in half-open, where the probes' evaluation and the open-time function matter.
const probing: fc.Arbitrary<Config> = fc
  .record({
    calls: fc.integer({ min: 1, max: 3 }),
    failureRateThreshold: fc.constantFrom(0.3, 0.5, 0.7, 1),
    slowCallMs: fc.constantFrom(Number.POSITIVE_INFINITY, 5),
    slowCallRateThreshold: fc.constantFrom(0.5, 1),
    openMs: fc.integer({ min: 1, max: 20 }),
    halfOpenMaxCalls: fc.integer({ min: 2, max: 4 }),
    halfOpenEvaluation: fc.constantFrom('all-succeed' as const, 'failure-rate' as const),
    customOpenMs: fc.boolean(),
  })
  .map(({ calls, customOpenMs, ...c }) => ({
    ...c,
    window: { calls },
    minimumCalls: 1,
    openMsMultiplier: 1,
    maxOpenMs: c.openMs + 50,
    openMsFunction: customOpenMs ? (opens: number) => c.openMs + ((opens * 37) % 50) : undefined,
  }));

async function agreesWithModel(
  cfg: Config,
  cmds: Iterable<fc.AsyncCommand<Model, Real>>,
): Promise<void> {
  const clock = new FakeClock(0);
  const changes: string[] = [];
  const { openMsFunction, ...numeric } = cfg;
  const breaker = new CircuitBreaker({
    ...numeric,
    ...(openMsFunction === undefined
      ? {}
      : { openMs: openMsFunction, openMsMultiplier: undefined }),
    clock,
    onStateChange: (change: StateChange) => changes.push(`${change.to}:${change.reason}`),
  });
  const model = new Model(cfg);
  await fc.asyncModelRun(() => ({ model, real: { clock, breaker, changes, pending: [] } }), cmds);
}

describe('model-based: the breaker agrees with the reference model', () => {
  it('under random outcomes, latencies, clock moves and manual actions', async () => {
    await fc.assert(fc.asyncProperty(config, commands, agreesWithModel), { numRuns: 1000 });
  });

  it('in half-open, with either probe evaluation and custom open intervals', async () => {
    await fc.assert(fc.asyncProperty(probing, commands, agreesWithModel), { numRuns: 500 });
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
