// Redis' own clock, as seen from this process. Ages of values in Redis are measured on the
// server's clock (written at TIME, read at TIME), never across machines' clocks. The read fast
// path, a plain GET, has no TIME of its own, so it estimates it: the offset between this
// process's clock and the server's, from a TIME call halfway through its round trip, taken again
// every RESYNC_MS in the background. The error is at most half a round trip plus the drift
// between two readings (and, on a Cluster, the spread of the nodes' clocks): well under a
// millisecond on one host, a few on NTP-synced hosts.

import type { Clock } from '../options.js';

const RESYNC_MS = 10_000;

/** Estimates the server's clock from this process's. @internal */
export class ServerTime {
  readonly #clock: Clock;
  readonly #readTime: () => Promise<ArrayLike<string | number> | symbol>;
  #offset: number | undefined;
  #measuredAt = Number.NEGATIVE_INFINITY;
  #measuring = false;

  /** `readTime` runs `TIME` (through the tier's guard: a symbol when Redis is down). */
  constructor(clock: Clock, readTime: () => Promise<ArrayLike<string | number> | symbol>) {
    this.#clock = clock;
    this.#readTime = readTime;
  }

  /** The server's time now, or undefined until a first reading; starts a new reading when due. */
  now(): number | undefined {
    return this.at(this.#clock.now());
  }

  /** `now()` for a reading of this process's clock just taken (`local`). */
  at(local: number): number | undefined {
    if (local - this.#measuredAt > RESYNC_MS) this.#measure();
    return this.#offset === undefined ? undefined : local + this.#offset;
  }

  #measure(): void {
    if (this.#measuring) return;
    this.#measuring = true;
    const sent = this.#clock.now();
    this.#readTime().then((reply) => {
      this.#measuring = false;
      if (typeof reply === 'symbol') return;
      const received = this.#clock.now();
      const server = Number(reply[0]) * 1000 + Number(reply[1]) / 1000;
      this.#offset = server - (sent + received) / 2;
      this.#measuredAt = received;
    });
  }
}
