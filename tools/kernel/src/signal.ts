/**
 * A signal that never aborts, handed to work started without one so it can always read
 * `signal.aborted` and add listeners without a null check (and without allocating per call).
 */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;
