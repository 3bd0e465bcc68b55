// The option names the vocabulary table of CONTRIBUTING.md ("One vocabulary") forbids, each with
// the name Bulwark uses instead. Edit distance cannot get from `maxQueue` to `maxWaiting`, so
// constructors pass this map to checkKnownKeys and a user bringing another library's name (or an
// old Bulwark one) is told the current name. A kernel test keeps it equal to the table.

/** Forbidden option name → the vocabulary's name for the same idea. */
export const VOCABULARY_RENAMES: ReadonlyMap<string, string> = new Map([
  ['maxQueue', 'maxWaiting'],
  ['queueSize', 'maxWaiting'],
  ['maxPending', 'maxWaiting'],
  ['ttl', 'ttlMs'],
  ['timeout', 'timeoutMs'],
  ['client', 'redis'],
  ['keyPrefix', 'prefix'],
  ['failOpen', 'onStoreError'],
  ['onRedisError', 'onStoreError'],
  ['now', 'clock'],
  ['time', 'clock'],
  ['abortSignal', 'signal'],
  ['cancel', 'signal'],
  ['id', 'name'],
  ['label', 'name'],
]);

/** {@link VOCABULARY_RENAMES} with a package's own former names added. */
export function withRenames(
  renames: Iterable<readonly [string, string]>,
): ReadonlyMap<string, string> {
  return new Map([...VOCABULARY_RENAMES, ...renames]);
}
