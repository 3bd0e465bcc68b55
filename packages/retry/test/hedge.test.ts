import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import {
  type AttemptContext,
  type GiveUpEvent,
  RetryBudget,
  RetryBudgetExhaustedError,
  retry,
  retryPolicy,
} from '../src/index.js';

// One attempt under the test's control: settle it by hand, see whether its signal was aborted.
interface Attempt {
  attempt: number;
  signal: AbortSignal;
  resolve: (value: string) => void;
  reject: (error: unknown) => void;
}

function controlled() {
  const attempts: Attempt[] = [];
  const fn = ({ signal, attempt }: AttemptContext) =>
    new Promise<string>((resolve, reject) => attempts.push({ attempt, signal, resolve, reject }));
  return { fn, attempts };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('hedging (hedgeAfterMs)', () => {
  it('starts another attempt each time hedgeAfterMs passes unanswered, up to attempts', async () => {
    const clock = new FakeClock(0);
    const { fn, attempts } = controlled();
    const p = retryPolicy({ clock, attempts: 3, hedgeAfterMs: 100 }).execute(fn);
    expect(attempts.map((a) => a.attempt)).toEqual([1]);
    clock.advance(99);
    expect(attempts).toHaveLength(1);
    clock.advance(1);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    clock.advance(100);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    clock.advance(1_000);
    expect(attempts).toHaveLength(3);
    expect(clock.pendingTimers).toBe(0);
    // The second answers first: it wins, the others are aborted, the winner is not.
    attempts[1]!.resolve('second');
    await expect(p).resolves.toBe('second');
    expect(attempts.map((a) => a.signal.aborted)).toEqual([true, false, true]);
    expect((attempts[0]!.signal.reason as DOMException).name).toBe('AbortError');
    // A late answer of a loser changes nothing.
    attempts[0]!.resolve('first');
    await flush();
  });

  it('an attempt that answers before hedgeAfterMs wins alone and leaves no timer', async () => {
    const clock = new FakeClock(0);
    const { fn, attempts } = controlled();
    const p = retry(fn, { clock, attempts: 3, hedgeAfterMs: 100 });
    clock.advance(50);
    attempts[0]!.resolve('fast');
    await expect(p).resolves.toBe('fast');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.signal.aborted).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a failure worth retrying starts the next attempt at once; the last failure gives up', async () => {
    const clock = new FakeClock(0);
    const { fn, attempts } = controlled();
    const giveUps: GiveUpEvent[] = [];
    const p = retryPolicy({
      clock,
      attempts: 3,
      hedgeAfterMs: 100,
      onGiveUp: (e) => giveUps.push(e),
    }).execute(fn);
    attempts[0]!.reject(new Error('one'));
    await flush();
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    clock.advance(100);
    expect(attempts).toHaveLength(3);
    attempts[2]!.reject(new Error('three'));
    await flush();
    expect(attempts).toHaveLength(3);
    attempts[1]!.reject(new Error('two'));
    await expect(p).rejects.toThrow('two');
    expect(giveUps).toEqual([
      expect.objectContaining({ attempts: 3, reason: 'attempts-exhausted' }),
    ]);
  });

  it('an error retryOn does not want retried wins at once; a turned-down value does not', async () => {
    const clock = new FakeClock(0);
    const { fn, attempts } = controlled();
    const p = retryPolicy({
      clock,
      attempts: 3,
      hedgeAfterMs: 100,
      retryOn: (e) => (e as Error).message !== 'fatal',
      retryOnResult: (v) => v === 'busy',
    }).execute(fn);
    attempts[0]!.resolve('busy');
    await flush();
    expect(attempts).toHaveLength(2);
    attempts[1]!.reject(new Error('fatal'));
    await expect(p).rejects.toThrow('fatal');
  });

  it('each attempt after the first is paid for by the budget', async () => {
    const clock = new FakeClock(0);
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, clock });
    const { fn, attempts } = controlled();
    const p = retryPolicy({ clock, attempts: 3, hedgeAfterMs: 100, budget }).execute(fn);
    clock.advance(500);
    expect(attempts).toHaveLength(1);
    attempts[0]!.reject(new Error('only'));
    const error = await p.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryBudgetExhaustedError);
    expect((error as Error).cause).toEqual(new Error('only'));
  });

  it("the caller's abort rejects at once and aborts every attempt", async () => {
    const clock = new FakeClock(0);
    const { fn, attempts } = controlled();
    const controller = new AbortController();
    const p = retryPolicy({ clock, attempts: 3, hedgeAfterMs: 10 }).execute(fn, {
      signal: controller.signal,
    });
    clock.advance(10);
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(attempts.map((a) => a.signal.reason)).toEqual([reason, reason]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('sync values and throws, and a bad hedgeAfterMs or fn', async () => {
    const clock = new FakeClock(0);
    let n = 0;
    const sync = () => {
      if (++n === 1) throw new Error('sync');
      return n;
    };
    await expect(retry(sync, { clock, hedgeAfterMs: 5 })).resolves.toBe(2);
    expect(() => retryPolicy({ hedgeAfterMs: -1 })).toThrow(/^hedgeAfterMs must be/);
    await expect(retryPolicy({ hedgeAfterMs: 1 }).execute(5 as never)).rejects.toThrow(
      'fn must be a function, got 5',
    );
  });
});

describe('hedging, property', () => {
  it('starts at most `attempts`, settles with the earliest answer worth keeping, and aborts exactly the losers', async () => {
    const fc = (await import('fast-check')).default;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 50 }),
        // Per attempt: how long after its start it answers, and whether it fails.
        fc.array(fc.record({ afterMs: fc.integer({ min: 0, max: 200 }), fails: fc.boolean() }), {
          minLength: 5,
          maxLength: 5,
        }),
        async (attempts, hedgeAfterMs, plan) => {
          const clock = new FakeClock(0);
          const started: { attempt: number; at: number; signal: AbortSignal }[] = [];
          const fn = ({ attempt, signal }: AttemptContext) => {
            started.push({ attempt, at: clock.now(), signal });
            const { afterMs, fails } = plan[attempt - 1]!;
            return new Promise<number>((resolve, reject) =>
              clock.setTimeout(
                () => (fails ? reject(new Error(`fail ${attempt}`)) : resolve(attempt)),
                afterMs,
              ),
            );
          };
          let outcome: { ok: boolean; value: unknown } | undefined;
          retryPolicy({ clock, attempts, hedgeAfterMs })
            .execute(fn)
            .then(
              (value) => (outcome = { ok: true, value }),
              (error: unknown) => (outcome = { ok: false, value: (error as Error).message }),
            );
          for (let i = 0; i < 50 && outcome === undefined; i++) {
            await clock.advanceAsync(0);
            if (outcome === undefined && !(await clock.runNext())) break;
            await clock.advanceAsync(0);
          }
          expect(outcome).toBeDefined();
          expect(started.length).toBeLessThanOrEqual(attempts);
          expect(started.map((s) => s.attempt)).toEqual(started.map((_, i) => i + 1));
          // The reference: attempt k answers at start_k + afterMs_k; the earliest success wins.
          const answers = started
            .map((s) => ({ ...s, answersAt: s.at + plan[s.attempt - 1]!.afterMs }))
            .sort((a, b) => a.answersAt - b.answersAt || a.attempt - b.attempt);
          const winner = answers.find((a) => !plan[a.attempt - 1]!.fails);
          if (winner !== undefined) {
            expect(outcome).toEqual({ ok: true, value: winner.attempt });
            for (const s of started) expect(s.signal.aborted).toBe(s.attempt !== winner.attempt);
          } else {
            expect(started).toHaveLength(attempts);
            expect(outcome!.ok).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
