import {
  checkKnownKeys,
  checkObject,
  describeValue,
  rangeError,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';

/** Turns a node into the string that names it on the ring (and places its virtual nodes). */
export type NodeId<T> = (node: T) => string;

/**
 * The default node naming: strings stand for themselves, numbers and bigints for their decimal
 * form. Anything else needs a `nodeId` option, because `String(object)` would give every object
 * the same name and so the same places on the ring.
 */
export function defaultNodeId(node: unknown): string {
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'bigint') return String(node);
  return typeError('node', 'a string, a number or a bigint unless a nodeId option names it', node);
}

/** Checks an id returned by a nodeId option. */
export function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0)
    throw new TypeError(`nodeId must return a non-empty string, got ${describeValue(id)}`);
  return id;
}

/** Checks a `weight` option: a finite number > 0. */
export function checkWeight(weight: unknown): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0)
    rangeError('weight', 'a finite number > 0', weight);
  return weight;
}

/** Checks a key: a string or a Uint8Array. */
export function checkKey(key: unknown): void {
  if (typeof key !== 'string' && !(key instanceof Uint8Array))
    typeError('key', 'a string or a Uint8Array', key);
}

/** Checks an options argument: an object with only the `known` keys (`where` names the call). */
export function checkOptions<O extends object>(
  options: O,
  known: ReadonlySet<string>,
  where: string,
): O {
  checkObject('options', options);
  checkKnownKeys(options, known, where, VOCABULARY_RENAMES);
  return options;
}

const ADD_KEYS: ReadonlySet<string> = new Set(['weight']);

/** Checks the options of `add(node, options)` and returns the weight (default 1). */
export function checkAddWeight(options: { weight?: number }): number {
  return checkWeight(checkOptions(options, ADD_KEYS, 'add(node, options)').weight ?? 1);
}
