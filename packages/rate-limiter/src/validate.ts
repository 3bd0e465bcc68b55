/**
 * The input checks of this package that the kernel does not already hold: a rate, a cost and a
 * key. Every message takes the kernel's form, `<name> must be <rule>, got <value>`.
 */
import { rangeError, typeError } from '@bulwark/kernel';

/** A finite number `> 0` (a refill or leak rate). */
export function positive(name: string, value: unknown): number {
  if (typeof value !== 'number') typeError(name, 'a number', value);
  if (!(value > 0) || !Number.isFinite(value)) rangeError(name, 'a finite number > 0', value);
  return value;
}

/** Throws the error for a `cost` outside `[1, max]` (called only on the slow path). */
export function badCost(cost: unknown, max: number, bound = 'the limit'): never {
  if (typeof cost !== 'number') typeError('cost', 'a number', cost);
  rangeError('cost', `an integer between 1 and ${max} (${bound})`, cost);
}

/** Throws the TypeError for a key that is not a non-empty string. */
export function badKey(key: unknown): never {
  typeError('key', 'a non-empty string', key);
}
