import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { TimeoutQueue, type Watched } from '../src/redis/timeout-queue.js';

// The model: every call times out exactly when its deadline passes unanswered, whatever order the
// answers come in, and one timer at most is ever waiting.
interface Model {
  calls: { deadline: number; answered: boolean }[];
}
interface Real {
  clock: FakeClock;
  queue: TimeoutQueue;
  calls: Watched[];
  timedOut: number[];
}

const TIMEOUT_MS = 100;

function check(model: Model, real: Real): void {
  const now = real.clock.now();
  const due = model.calls.flatMap((call, i) => (!call.answered && call.deadline <= now ? [i] : []));
  expect([...real.timedOut].sort((a, b) => a - b)).toEqual(due);
  expect(real.clock.pendingTimers).toBeLessThanOrEqual(1);
  // A call still waiting has a timer that will reach it.
  if (model.calls.some((call) => !call.answered && call.deadline > now))
    expect(real.clock.pendingTimers).toBe(1);
}

class Start implements fc.Command<Model, Real> {
  check = () => true;
  run(model: Model, real: Real): void {
    const call: Watched = { deadline: real.clock.now() + TIMEOUT_MS, done: false, next: undefined };
    real.calls.push(call);
    model.calls.push({ deadline: call.deadline, answered: false });
    real.queue.add(call);
    check(model, real);
  }
  toString = () => 'start';
}

class Answer implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.calls.length > 0;
  run(model: Model, real: Real): void {
    const i = this.pick % model.calls.length;
    const call = real.calls[i]!;
    // As the guard does: an answer after the timeout (or a second one) is ignored.
    if (call.done) return;
    model.calls[i]!.answered = true;
    real.queue.settled(call);
    check(model, real);
  }
  toString = () => `answer(${this.pick})`;
}

class Advance implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(model: Model, real: Real): void {
    real.clock.advance(this.ms);
    check(model, real);
  }
  toString = () => `advance(${this.ms})`;
}

it('times every call out at its own deadline with one timer, answers in any order', () => {
  const commands = [
    fc.constant(new Start()),
    fc.nat(50).map((pick) => new Answer(pick)),
    fc.integer({ min: 0, max: 150 }).map((ms) => new Advance(ms)),
  ];
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 80 }), (cmds) => {
      const clock = new FakeClock(0);
      const timedOut: number[] = [];
      const calls: Watched[] = [];
      const queue = new TimeoutQueue(clock, (call) => timedOut.push(calls.indexOf(call)));
      fc.modelRun(() => ({ model: { calls: [] }, real: { clock, queue, calls, timedOut } }), cmds);
    }),
  );
});

it("a call started by a timed-out call's listener is watched by the same timer", () => {
  const clock = new FakeClock(0);
  const timedOut: Watched[] = [];
  let queue!: TimeoutQueue;
  const second: Watched = { deadline: 200, done: false, next: undefined };
  queue = new TimeoutQueue(clock, (call) => {
    timedOut.push(call);
    if (call !== second) queue.add(second);
  });
  const first: Watched = { deadline: 100, done: false, next: undefined };
  queue.add(first);
  clock.advance(100);
  expect(timedOut).toEqual([first]);
  expect(clock.pendingTimers).toBe(1);
  clock.advance(100);
  expect(timedOut).toEqual([first, second]);
  expect(clock.pendingTimers).toBe(0);
});
