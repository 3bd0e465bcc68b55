/**
 * Calls a user's event listener so that a listener that throws can neither break the primitive's
 * state machine nor vanish silently: the error is rethrown on a microtask, where the process's
 * `uncaughtException` handling sees it, after the primitive finished its own step.
 */
export function callListener<A>(listener: ((arg: A) => void) | undefined, arg: A): void {
  if (listener === undefined) return;
  try {
    listener(arg);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
