// The store contract as a fast-check model: any interleaving of claim, complete, release and the
// passing of time on one key, by three requests, must give the answers a tiny reference model
// predicts. That covers "at most one completed record" (a complete succeeds only for the current
// lease holder, and once completed every claim replays that one record) and "a replay always
// carries the fingerprint of the request that recorded it" (so the core never replays a
// mismatched request). Times are multiples of 100 ms and the leases expire on such boundaries, so
// a store on a real server clock, whose time also creeps a few ms between commands, agrees with
// the model.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RecordedResponse } from '../types.js';
import type {
  ConformanceCheck,
  ConformanceOptions,
  StoreFactory,
  StoreUnderTest,
} from './harness.js';

const TTL = 5_000;
const ACTORS = ['a', 'b', 'c'] as const;
type Actor = (typeof ACTORS)[number];

interface ModelRecord {
  running: boolean;
  fingerprint: string;
  owner: Actor;
  leaseUntil: number;
  expiresAt: number;
  status: number; // the recorded response's status; unique per complete
}

interface Model {
  now: number;
  record: ModelRecord | undefined;
  // Whose latest claim holds the current lease: an actor's older tokens are forgotten.
  completes: number;
}

interface Real {
  subject: StoreUnderTest;
  tokens: Map<Actor, number>;
  lastToken: number;
}

const KEY = 'model-key';

function live(model: Model): ModelRecord | undefined {
  const record = model.record;
  if (record !== undefined && record.expiresAt <= model.now) model.record = undefined;
  return model.record;
}

function response(status: number): RecordedResponse {
  return { status, headers: [['content-type', 'text/plain']], body: Buffer.from(`body ${status}`) };
}

class Claim implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly actor: Actor,
    readonly fingerprint: string,
    readonly leaseMs: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const result = await real.subject.store.claim(KEY, this.fingerprint, this.leaseMs, TTL);
    const record = live(model);
    if (record !== undefined && !record.running) {
      assert.equal(result.state, 'completed');
      if (result.state !== 'completed') return;
      assert.equal(
        result.fingerprint,
        record.fingerprint,
        'a replay carries the recording fingerprint',
      );
      assert.equal(result.response.status, record.status, 'the one completed record is replayed');
      assert.equal(Buffer.from(result.response.body).toString(), `body ${record.status}`);
      return;
    }
    if (record !== undefined && record.leaseUntil > model.now) {
      assert.equal(result.state, 'running');
      if (result.state === 'running') assert.equal(result.fingerprint, record.fingerprint);
      return;
    }
    assert.equal(result.state, 'claimed');
    if (result.state !== 'claimed') return;
    assert.ok(result.token > real.lastToken, `token ${result.token} must exceed ${real.lastToken}`);
    real.lastToken = result.token;
    real.tokens.set(this.actor, result.token);
    model.record = {
      running: true,
      fingerprint: this.fingerprint,
      owner: this.actor,
      leaseUntil: model.now + this.leaseMs,
      expiresAt: model.now + Math.max(TTL, this.leaseMs),
      status: 0,
    };
  }
  toString(): string {
    return `claim(${this.actor}, ${this.fingerprint}, ${this.leaseMs})`;
  }
}

class Complete implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actor: Actor) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const token = real.tokens.get(this.actor);
    if (token === undefined) return;
    const status = 200 + ++model.completes;
    const done = await real.subject.store.complete(KEY, token, response(status), TTL);
    const record = live(model);
    const expected = record?.running === true && record.owner === this.actor;
    assert.equal(done, expected, `complete by ${this.actor} must answer ${expected}`);
    if (record !== undefined && expected) {
      record.running = false;
      record.status = status;
      record.expiresAt = model.now + TTL;
    }
  }
  toString(): string {
    return `complete(${this.actor})`;
  }
}

class Release implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actor: Actor) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const token = real.tokens.get(this.actor);
    if (token === undefined) return;
    const done = await real.subject.store.release(KEY, token);
    const record = live(model);
    const expected = record?.running === true && record.owner === this.actor;
    assert.equal(done, expected, `release by ${this.actor} must answer ${expected}`);
    if (expected) model.record = undefined;
  }
  toString(): string {
    return `release(${this.actor})`;
  }
}

class Elapse implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    model.now += this.ms;
    await real.subject.elapse(this.ms);
  }
  toString(): string {
    return `elapse(${this.ms})`;
  }
}

const actor = fc.constantFrom(...ACTORS);
const commands = fc.commands(
  [
    fc
      .tuple(actor, fc.constantFrom('fp-1', 'fp-2'), fc.constantFrom(1_000, 2_000))
      .map(([who, fingerprint, lease]) => new Claim(who, fingerprint, lease)),
    actor.map((who) => new Complete(who)),
    actor.map((who) => new Release(who)),
    fc.integer({ min: 1, max: 30 }).map((n) => new Elapse(n * 100)),
  ],
  { maxCommands: 40 },
);

/** The model-based property: the store agrees with the reference model on every interleaving. */
export function modelCheck(
  factory: StoreFactory,
  options: ConformanceOptions = {},
): ConformanceCheck {
  return {
    name: 'any interleaving of claim, complete, release and expiry agrees with the model',
    run: () =>
      fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          const subject = await factory();
          try {
            await fc.asyncModelRun(
              () => ({
                model: { now: 0, record: undefined, completes: 0 },
                real: { subject, tokens: new Map(), lastToken: Number.NEGATIVE_INFINITY },
              }),
              cmds,
            );
          } finally {
            await subject.close?.();
          }
        }),
        {
          numRuns: options.numRuns ?? 100,
          ...(options.seed === undefined ? {} : { seed: options.seed }),
        },
      ),
  };
}
