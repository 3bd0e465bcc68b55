// The kernel: what every Bulwark package needs once. Private; tsup inlines it into each package
// (noExternal), so published packages keep zero runtime dependencies and self-contained types.

export { BucketedWindow } from './bucketed-window.js';
export {
  checkBoolean,
  checkClock,
  checkFunction,
  checkInteger,
  checkMs,
  checkNumber,
  checkObject,
  checkOneOf,
  checkSignal,
  checkString,
  rangeError,
  typeError,
} from './check.js';
export { type Clock, MAX_TIMER_MS, systemClock, type TimerClock } from './clock.js';
export { describeValue } from './describe-value.js';
export { BulwarkError, isBulwarkError, QueueFullError } from './errors.js';
export { checkKnownKeys, nearestName } from './known-keys.js';
export { callListener } from './listeners.js';
export {
  isNoScript,
  RedisScript,
  runOnKey,
  type ScriptClient,
  slotKey,
} from './redis-script.js';
export { NEVER_ABORTED } from './signal.js';
export { checkOnStoreError, type OnStoreError, resolveStoreError } from './store-error.js';
export { VOCABULARY_RENAMES, withRenames } from './vocabulary.js';
