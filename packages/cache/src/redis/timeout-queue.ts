// The store calls in flight, watched for the store timeout by one timer. Every call gets the same
// timeout, so deadlines fall in the order calls start: the calls wait in a queue in that order,
// and one timer, armed for the oldest, times out whatever is due and re-arms itself for the next.
// An answered call leaves the queue at once when it is the oldest (replies on one connection come
// back in order), else when the timer reaches it. A timer per call would cost a timer insert and
// removal on every Redis GET; this costs a clock reading and a pointer.

import type { Clock } from '../options.js';

/** A call the queue watches. @internal */
export interface Watched {
  /** When it times out, on the queue's clock. */
  readonly deadline: number;
  /** True once answered or timed out. */
  done: boolean;
  next: Watched | undefined;
}

/** Calls in flight in the order they started (so, of their deadlines), and one timer. @internal */
export class TimeoutQueue {
  readonly #clock: Clock;
  readonly #timedOut: (call: Watched) => void;
  readonly #fire = (): void => this.#expire();
  #oldest: Watched | undefined;
  #newest: Watched | undefined;
  #armed = false;

  /** `timedOut` is called once for each call that reaches its deadline unanswered. */
  constructor(clock: Clock, timedOut: (call: Watched) => void) {
    this.#clock = clock;
    this.#timedOut = timedOut;
  }

  /** Watches `call`, whose deadline is no earlier than any call's added before. */
  add(call: Watched): void {
    if (this.#newest === undefined) this.#oldest = call;
    else this.#newest.next = call;
    this.#newest = call;
    // An armed timer fires no later than the deadline of the oldest call, hence of this one.
    if (!this.#armed) this.#arm(call.deadline - this.#clock.now());
  }

  /** `call` was answered: it is done, and leaves the queue once no older call is waiting. */
  settled(call: Watched): void {
    call.done = true;
    this.#dropDone();
  }

  #dropDone(): void {
    let oldest = this.#oldest;
    while (oldest?.done) oldest = unlink(oldest);
    this.#oldest = oldest;
    if (oldest === undefined) this.#newest = undefined;
  }

  #expire(): void {
    // Still counted as armed while timing calls out: a call their listeners start must not arm
    // a second timer.
    const now = this.#clock.now();
    let oldest = this.#oldest;
    while (oldest !== undefined && (oldest.done || oldest.deadline <= now)) {
      const due = oldest;
      oldest = unlink(due);
      this.#oldest = oldest;
      if (oldest === undefined) this.#newest = undefined;
      if (!due.done) {
        due.done = true;
        this.#timedOut(due);
      }
      oldest = this.#oldest;
    }
    this.#armed = false;
    // The calls answered meanwhile left the head; the timer waits for the oldest one left.
    if (oldest !== undefined) this.#arm(oldest.deadline - now);
  }

  #arm(ms: number): void {
    this.#armed = true;
    const timer = this.#clock.setTimeout(this.#fire, Math.max(0, ms));
    (timer as { unref?: () => void } | undefined)?.unref?.();
  }
}

// Takes a call off the front of the chain (so a call still referenced, say by a reply that never
// comes, holds no later ones) and returns the next.
function unlink(call: Watched): Watched | undefined {
  const next = call.next;
  call.next = undefined;
  return next;
}
