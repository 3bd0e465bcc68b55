import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../src/index.js';

// A promise the test settles by hand.
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers and hands each the same result', async () => {
    const group = new SingleFlight<object>();
    const gate = deferred<object>();
    let runs = 0;
    const fn = () => {
      runs++;
      return gate.promise;
    };
    const callers = [group.do('k', fn), group.do('k', fn), group.do('k', fn)];
    expect(group.inFlight('k')).toBe(true);
    expect(group.waiting('k')).toBe(3);
    const value = {};
    gate.resolve(value);
    const results = await Promise.all(callers);
    expect(runs).toBe(1);
    for (const result of results) expect(result).toBe(value);
    expect(group.inFlight('k')).toBe(false);
    expect(group.size).toBe(0);
  });

  it('runs again once the previous run settled; keys are independent', async () => {
    const group = new SingleFlight<number>();
    let runs = 0;
    const fn = async () => ++runs;
    expect(await group.do('a', fn)).toBe(1);
    expect(await group.do('a', fn)).toBe(2);
    const [a, b] = await Promise.all([group.do('a', fn), group.do('b', fn)]);
    expect(new Set([a, b]).size).toBe(2);
  });

  it('hands every caller the same rejection, and a synchronous throw too', async () => {
    const group = new SingleFlight<number>();
    const boom = new Error('boom');
    const callers = [
      group.do('k', () => Promise.reject(boom)),
      group.do('k', () => Promise.reject(boom)),
    ];
    for (const caller of callers) await expect(caller).rejects.toBe(boom);
    await expect(
      group.do('k', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(group.inFlight('k')).toBe(false);
  });

  it('a caller that aborts stops waiting, even the one that started the work; the others get the result', async () => {
    const group = new SingleFlight<string>();
    const gate = deferred<string>();
    let workSignal: AbortSignal | undefined;
    const first = new AbortController();
    const starter = group.do(
      'k',
      (signal) => {
        workSignal = signal;
        return gate.promise;
      },
      { signal: first.signal },
    );
    const other = group.do('k', () => 'never runs', { signal: new AbortController().signal });
    first.abort(new Error('first gave up'));
    await expect(starter).rejects.toThrow('first gave up');
    expect(workSignal?.aborted).toBe(false);
    gate.resolve('value');
    await expect(other).resolves.toBe('value');
  });

  it("aborts the work's signal when the last caller leaves, and starts afresh after", async () => {
    const group = new SingleFlight<string>();
    const signals: AbortSignal[] = [];
    const fn = (signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<string>(() => {});
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = group.do('k', fn, { signal: a.signal });
    const pb = group.do('k', fn, { signal: b.signal });
    a.abort('a');
    expect(signals[0]?.aborted).toBe(false);
    b.abort('b');
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBe('b');
    await expect(pa).rejects.toBe('a');
    await expect(pb).rejects.toBe('b');
    expect(group.inFlight('k')).toBe(false);
    void group.do('k', fn, { signal: new AbortController().signal });
    expect(signals).toHaveLength(2);
    expect(signals[1]?.aborted).toBe(false);
  });

  it('a caller without a signal keeps the work alive', async () => {
    const group = new SingleFlight<string>();
    const gate = deferred<string>();
    let workSignal: AbortSignal | undefined;
    const a = new AbortController();
    const pa = group.do(
      'k',
      (signal) => {
        workSignal = signal;
        return gate.promise;
      },
      { signal: a.signal },
    );
    const pb = group.do('k', () => 'unused');
    a.abort('a');
    await expect(pa).rejects.toBe('a');
    expect(workSignal?.aborted).toBe(false);
    gate.resolve('v');
    await expect(pb).resolves.toBe('v');
  });

  it('an already aborted signal rejects at once and starts nothing', async () => {
    const group = new SingleFlight<string>();
    let runs = 0;
    const controller = new AbortController();
    controller.abort('gone');
    await expect(
      group.do(
        'k',
        () => {
          runs++;
          return 'x';
        },
        { signal: controller.signal },
      ),
    ).rejects.toBe('gone');
    expect(runs).toBe(0);
    expect(group.inFlight('k')).toBe(false);
  });

  it('forget() lets the next caller start a new run while earlier callers keep the old one', async () => {
    const group = new SingleFlight<number>();
    const gates = [deferred<number>(), deferred<number>()];
    let runs = 0;
    const fn = () => gates[runs++]!.promise;
    const old = group.do('k', fn);
    expect(group.forget('k')).toBe(true);
    expect(group.forget('k')).toBe(false);
    const fresh = group.do('k', fn);
    gates[1]!.resolve(2);
    gates[0]!.resolve(1);
    expect(await old).toBe(1);
    expect(await fresh).toBe(2);
    expect(runs).toBe(2);
  });

  it('work abandoned by every caller that later rejects is not an unhandled rejection', async () => {
    const group = new SingleFlight<string>();
    const gate = deferred<string>();
    const controller = new AbortController();
    const p = group.do('k', () => gate.promise, { signal: controller.signal });
    controller.abort('bye');
    await expect(p).rejects.toBe('bye');
    gate.reject(new Error('late failure'));
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('property: any interleaving of joins, aborts and settling runs the work once and aborts it only when nobody waits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.record({ abortable: fc.boolean(), aborts: fc.boolean() }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.boolean(),
        async (s, callers, fails) => {
          const group = new SingleFlight<string>();
          let runs = 0;
          let workSignal: AbortSignal | undefined;
          const fn = (signal: AbortSignal) => {
            runs++;
            workSignal = signal;
            return s.schedule(Promise.resolve('result'), 'work settles').then((v) => {
              if (fails) throw new Error('failed');
              return v;
            });
          };
          const outcomes: ('value' | 'error' | 'aborted')[] = [];
          const controllers = callers.map(() => new AbortController());
          // Every caller joins before the work settles; aborts happen in a scheduled order.
          const promises = callers.map((caller, i) =>
            group
              .do('k', fn, caller.abortable ? { signal: controllers[i]!.signal } : undefined)
              .then(
                () => {
                  outcomes[i] = 'value';
                },
                (error: unknown) => {
                  outcomes[i] = error === 'abort' ? 'aborted' : 'error';
                },
              ),
          );
          for (const [i, caller] of callers.entries())
            if (caller.abortable && caller.aborts)
              s.schedule(Promise.resolve(), `abort ${i}`).then(() =>
                controllers[i]!.abort('abort'),
              );
          await s.waitAll();
          await Promise.all(promises);
          expect(runs).toBe(1);
          const stayed = callers.filter((c) => !(c.abortable && c.aborts)).length;
          for (const [i, caller] of callers.entries()) {
            const left = caller.abortable && caller.aborts;
            if (!left) expect(outcomes[i]).toBe(fails ? 'error' : 'value');
            else expect(['aborted', fails ? 'error' : 'value']).toContain(outcomes[i]);
          }
          // With someone who stayed, the work was never aborted.
          if (stayed > 0) expect(workSignal?.aborted).toBe(false);
          // Aborted work means everyone had left.
          if (workSignal?.aborted) expect(outcomes.every((o) => o === 'aborted')).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
