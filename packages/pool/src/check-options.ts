// The pool's own option rules on top of the kernel's checks. Each throws at construction with a
// message naming the option and the value (`<option> must be <rule>, got <value>`).

import { checkInteger, checkNumber, MAX_TIMER_MS, typeError } from '@bulwark/kernel';

/** A count that may also be `Infinity` (no limit). */
export function checkLimit(name: string, value: unknown, min: number): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  return checkInteger(name, value, min);
}

/** A duration in ms a timer can wait for: a finite number in [min, MAX_TIMER_MS]. */
export function checkDuration(name: string, value: unknown, min: number): number {
  return checkNumber(name, value, min, MAX_TIMER_MS);
}

/** An `acquire` priority: any number but NaN; 0 when undefined. */
export function checkPriority(priority: unknown): number {
  if (priority === undefined) return 0;
  if (typeof priority !== 'number' || Number.isNaN(priority))
    typeError('priority', 'a number', priority);
  return priority;
}
