// Hedging (Polly's hedging strategy): instead of waiting for an attempt to fail before the next,
// start another attempt when the ones running have not answered within `hedgeAfterMs`, take the
// first outcome worth keeping, and abort the rest. A failure worth retrying starts the next
// attempt at once. `attempts` bounds the attempts in all; each one after the first is a retry
// the budget must pay for.

import { callListener } from '@bulwark/kernel';
import type { RetryBudget } from './budget.js';
import { channels } from './channels.js';
import { RetryBudgetExhaustedError } from './errors.js';
import type { Clock } from './options.js';
import { retriesError, retriesResult } from './predicates.js';
import type { AttemptContext, GiveUpEvent, GiveUpReason } from './retry.js';

/** What a hedged run needs from its policy. */
export interface HedgeSettings {
  readonly name: string;
  readonly attempts: number;
  readonly hedgeAfterMs: number;
  readonly clock: Clock;
  readonly budget: RetryBudget | undefined;
  readonly retryOn: ((error: unknown, attempt: number) => boolean) | undefined;
  readonly retryOnResult: ((value: unknown, attempt: number) => boolean) | undefined;
  readonly onGiveUp: ((event: GiveUpEvent) => void) | undefined;
}

/** The reason a losing attempt's signal is aborted with. */
function lostTheRace(): DOMException {
  return new DOMException('another hedged attempt answered first', 'AbortError');
}

/**
 * Run `fn` hedged. Resolves with the first value `retryOnResult` does not turn down, or rejects
 * with the first error `retryOn` does not want retried; gives up (as the retry loop does) when
 * every attempt that could start has failed. An abort of `signal` rejects at once with its
 * reason and aborts every attempt. Each attempt gets a signal of its own, aborted when it loses.
 */
export function hedge<T>(
  fn: (context: AttemptContext) => T | PromiseLike<T>,
  signal: AbortSignal | undefined,
  settings: HedgeSettings,
): Promise<T> {
  const { attempts, hedgeAfterMs, clock, budget } = settings;
  return new Promise<T>((resolve, reject) => {
    const controllers: AbortController[] = [];
    let started = 0;
    let failed = 0;
    let done = false;
    let timer: unknown;
    let lastOutcome: unknown;
    let lastThrew = true;

    // Settle once: stop the hedge timer, stop listening, abort every attempt but the winner.
    const finish = (winner: number, reason: unknown): void => {
      done = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      for (let i = 0; i < controllers.length; i++)
        if (i + 1 !== winner) controllers[i]!.abort(reason);
    };
    const onAbort = (): void => {
      if (done) return;
      finish(0, signal!.reason);
      reject(signal!.reason);
    };

    // Attempts after the first are retries: each must fit in `attempts` and be paid for.
    const mayStartAnother = (): boolean =>
      started < attempts && (budget === undefined || budget.tryRetry());

    const start = (): void => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      const attempt = ++started;
      const controller = new AbortController();
      controllers.push(controller);
      if (attempt < attempts) timer = clock.setTimeout(onHedgeDue, hedgeAfterMs);
      let result: T | PromiseLike<T>;
      try {
        result = fn({ signal: controller.signal, attempt });
      } catch (error) {
        onError(error, attempt);
        return;
      }
      Promise.resolve(result).then(
        (value) => onValue(value, attempt),
        (error: unknown) => onError(error, attempt),
      );
    };

    const onHedgeDue = (): void => {
      timer = undefined;
      if (!done && mayStartAnother()) start();
    };

    const onValue = (value: T, attempt: number): void => {
      if (done) return;
      if (retriesResult(settings.retryOnResult, value, attempt)) {
        onFailed(value, false, attempt);
        return;
      }
      finish(attempt, lostTheRace());
      resolve(value);
    };

    const onError = (error: unknown, attempt: number): void => {
      if (done) return;
      if (retriesError(settings.retryOn, error, attempt)) {
        onFailed(error, true, attempt);
        return;
      }
      // Not worth retrying: the caller's answer, as in the sequential loop.
      if (attempt > 1) giveUp(error, true, 'not-retryable');
      finish(attempt, lostTheRace());
      reject(error);
    };

    // An attempt failed (or its value was turned down): try the next one now, not after the delay.
    const onFailed = (outcome: unknown, threw: boolean, attempt: number): void => {
      failed++;
      lastOutcome = outcome;
      lastThrew = threw;
      const more = started < attempts;
      if (mayStartAnother()) {
        start();
        return;
      }
      // Others are still running: one of them may yet answer.
      if (failed < started) return;
      const reason: GiveUpReason = more ? 'budget-exhausted' : 'attempts-exhausted';
      giveUp(lastOutcome, lastThrew, reason);
      finish(attempt, lostTheRace());
      if (!lastThrew) resolve(lastOutcome as T);
      else
        reject(
          reason === 'budget-exhausted'
            ? new RetryBudgetExhaustedError(started, lastOutcome)
            : lastOutcome,
        );
    };

    const giveUp = (outcome: unknown, threw: boolean, reason: GiveUpReason): void => {
      if (attempts === 1) return;
      const event: GiveUpEvent = {
        name: settings.name,
        attempts: started,
        error: threw ? outcome : undefined,
        result: threw ? undefined : outcome,
        reason,
      };
      callListener(settings.onGiveUp, event);
      if (channels.giveUp.hasSubscribers) channels.giveUp.publish(event);
    };

    if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
    if (budget !== undefined) budget.recordAttempt();
    start();
  });
}
