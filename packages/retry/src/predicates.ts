// Asking the caller's predicates whether an outcome is worth another attempt. Shared by the
// sequential retry loop and hedging; a predicate that throws or answers anything but `true` says no.

/** Whether `retryOn` wants `error` retried: yes when unset; only `true` means yes. */
export function retriesError(
  retryOn: ((error: unknown, attempt: number) => boolean) | undefined,
  error: unknown,
  attempt: number,
): boolean {
  if (retryOn === undefined) return true;
  try {
    return retryOn(error, attempt) === true;
  } catch {
    return false;
  }
}

/** Whether `retryOnResult` wants `value` retried: no when unset; only `true` means yes. */
export function retriesResult(
  retryOnResult: ((value: unknown, attempt: number) => boolean) | undefined,
  value: unknown,
  attempt: number,
): boolean {
  if (retryOnResult === undefined) return false;
  try {
    return retryOnResult(value, attempt) === true;
  } catch {
    return false;
  }
}
