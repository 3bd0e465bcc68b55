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
  throw new TypeError(
    `node must be a string, a number or a bigint unless a nodeId option names it, got ${describe(node)}`,
  );
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** Checks an id returned by a nodeId option. */
export function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new TypeError(`nodeId must return a non-empty string, got ${describe(id)}`);
  }
  return id;
}

/** Checks a `weight` option: a finite number > 0. */
export function checkWeight(weight: unknown): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
    throw new RangeError(`weight must be a finite number > 0, got ${describe(weight)}`);
  }
  return weight;
}

/** Checks a key: a string or a Uint8Array. */
export function checkKey(key: unknown): void {
  if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
    throw new TypeError(`key must be a string or a Uint8Array, got ${describe(key)}`);
  }
}

/** Checks an options argument: an object (undefined is replaced by its default before this). */
export function checkOptions<O extends object>(options: O): O {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  return options;
}
