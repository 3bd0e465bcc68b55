import { BulwarkError } from '@bulwark/kernel';

/**
 * The default reason a shaper's `close()` rejects waiting requests with: code
 * `BULWARK_RATE_LIMITER_CLOSED`. Branch on it with `isBulwarkError(error, 'BULWARK_RATE_LIMITER_CLOSED')`.
 */
export class ShaperClosedError extends BulwarkError {
  /** The closed shaper's name. */
  readonly shaper: string;

  constructor(shaper: string) {
    super('BULWARK_RATE_LIMITER_CLOSED', `shaper ${JSON.stringify(shaper)} closed`);
    this.shaper = shaper;
  }
}
