// Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, 2018).
//
// A plain ring balances keys only on average: a popular arc can still overload its node. Here
// every node has a capacity, ceil(c × m × weight / totalWeight) for m assigned keys (with equal
// weights: ceil(c × mean load)), and a key goes to the first node clockwise from its hash that
// is below its capacity. With c = 1.25 no node ever holds more than 25% above the mean (rounded
// up), while keys still mostly land where the plain ring would put them.
//
// Assignments are sticky: a key stays on its node until it is released, its node leaves, or its
// node is over capacity because the mean fell (a release) or the weights changed (an add). Only
// then is it moved, to the next node with room, and `onMove` says so.
import { describeValue } from '@bulwark/kernel';
import { channels } from './channels.js';
import { type AddNodeOptions, HashRing, type HashRingOptions } from './hash-ring.js';
import { checkAddWeight, checkOptions } from './node-id.js';

/** A positive number as the decimal it prints as: `digits × 10^exponent` (`small`: the digits
 * as a Number when they are a safe integer, else NaN). */
interface Decimal {
  digits: bigint;
  exponent: number;
  small: number;
}

/** A positive finite number as the decimal it prints as. */
function decimal(value: number): Decimal {
  // String() gives the shortest decimal that reads back as the same double: "1.1", "1e-7",
  // "1.5e+300". That decimal is what the caller wrote, or the closest thing to it.
  const text = String(value);
  const e = text.indexOf('e');
  const mantissa = e === -1 ? text : text.slice(0, e);
  let exponent = e === -1 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  let digits = mantissa;
  if (dot !== -1) {
    digits = mantissa.slice(0, dot) + mantissa.slice(dot + 1);
    exponent -= mantissa.length - dot - 1;
  }
  const big = BigInt(digits);
  return { digits: big, exponent, small: safe(big) };
}

function safe(n: bigint): number {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : Number.NaN;
}

/** Options of {@link BoundedLoads}. */
export interface BoundedLoadsOptions<T> extends Omit<HashRingOptions<T>, 'compatibility'> {
  /**
   * The capacity factor c >= 1: no node holds more than ceil(c × m × weight / totalWeight) of
   * the m assigned keys. Smaller is more even but moves more keys. Default 1.25.
   */
  loadFactor?: number;
  /**
   * Called when an assigned key changes node because of a release, an add or a remove;
   * `to` is undefined when the last node left and the key lost its assignment. Calls come after
   * the change is complete, so the handler sees the new state; if it throws, the other moves are
   * still reported and the first error is then rethrown by the method that moved the keys.
   */
  onMove?: (key: string, from: T, to: T | undefined) => void;
}

const BOUNDED_LOADS_KEYS: ReadonlySet<string> = new Set([
  'name',
  'vnodes',
  'nodeId',
  'cacheSize',
  'loadFactor',
  'onMove',
]);

/** A snapshot of the assignment. */
export interface BoundedLoadsStats {
  /** The instance's `name`. */
  name: string;
  /** Number of nodes. */
  nodes: number;
  /** Number of assigned keys (m). */
  assigned: number;
  /** The highest load of any node. */
  maxLoad: number;
  /** The mean load, m / nodes (0 without nodes). */
  meanLoad: number;
  /** Keys moved so far by releases, adds and removes (not counting first assignments). */
  moves: number;
}

interface NodeLoad<T> {
  readonly node: T;
  weight: number;
  /** `weight` as the decimal it prints as, for the exact capacity. */
  exact: Decimal;
  readonly keys: Set<string>;
}

/**
 * A consistent-hash ring that never lets a node hold more than ceil(c × mean) of the assigned
 * keys (weighted: ceil(c × m × weight / totalWeight)).
 *
 * @typeParam T - the node type; strings and numbers work as they are, other types need `nodeId`
 * @example
 * const loads = new BoundedLoads<string>({ loadFactor: 1.25 });
 * loads.add('worker-1').add('worker-2').add('worker-3');
 * const worker = loads.assign('session:42'); // sticky until release('session:42')
 * loads.release('session:42');
 */
export class BoundedLoads<T = string> {
  /** The `name` option: the label in channel messages and `stats()`. */
  readonly name: string;
  /** The capacity factor c. */
  readonly loadFactor: number;

  private readonly ring: HashRing<T>;
  private readonly onMove: ((key: string, from: T, to: T | undefined) => void) | undefined;
  // By id for add/remove, by the ring's own node value for the clockwise walk.
  private readonly byId = new Map<string, NodeLoad<T>>();
  private readonly byNode = new Map<T, NodeLoad<T>>();
  private readonly assignments = new Map<string, NodeLoad<T>>();
  // c and the total weight as exact decimals: the total is totalDigits × 10^totalExponent.
  private readonly exactFactor: Decimal;
  private totalDigits = 0n;
  private totalSmall = 0;
  private totalExponent = 0;
  private moves = 0;
  // Moves are reported once the state is consistent again, so a throwing onMove cannot leave a
  // key assigned to a node that has gone.
  private readonly pending: Array<[key: string, from: T, to: T | undefined]> = [];

  /**
   * @param options - see {@link BoundedLoadsOptions} (and {@link HashRingOptions} for `vnodes`
   *   and `nodeId`)
   * @throws RangeError when `loadFactor` is not a finite number >= 1
   * @throws TypeError when `onMove` is not a function or an option key is unknown
   */
  constructor(options: BoundedLoadsOptions<T> = {}) {
    const {
      loadFactor = 1.25,
      onMove,
      ...ringOptions
    } = checkOptions(options, BOUNDED_LOADS_KEYS, 'new BoundedLoads(options)');
    if (typeof loadFactor !== 'number' || !Number.isFinite(loadFactor) || loadFactor < 1) {
      throw new RangeError(
        `loadFactor must be a finite number >= 1, got ${describeValue(loadFactor)}`,
      );
    }
    if (onMove !== undefined && typeof onMove !== 'function') {
      throw new TypeError(`onMove must be a function, got ${describeValue(onMove)}`);
    }
    this.loadFactor = loadFactor;
    this.exactFactor = decimal(loadFactor);
    this.onMove = onMove;
    this.ring = new HashRing<T>(ringOptions);
    this.name = this.ring.name;
  }

  /** Number of nodes. */
  get size(): number {
    return this.byId.size;
  }

  /** The nodes, in the order they were added. */
  get nodes(): T[] {
    return this.ring.nodes;
  }

  /** Number of assigned keys. */
  get assigned(): number {
    return this.assignments.size;
  }

  /**
   * Adds a node (or changes its weight). Other nodes' capacities shrink, so keys of nodes that
   * end up over capacity move, each to the next node clockwise with room.
   *
   * @throws RangeError when `weight` is not a finite number > 0
   * @throws whatever `onMove` throws, once every move is done and reported
   */
  add(node: T, options: AddNodeOptions = {}): this {
    const weight = checkAddWeight(options);
    const id = this.ring.idOf(node);
    this.ring.add(node, { weight });
    const existing = this.byId.get(id);
    if (existing) {
      existing.weight = weight;
      existing.exact = decimal(weight);
    } else {
      const load: NodeLoad<T> = { node, weight, exact: decimal(weight), keys: new Set() };
      this.byId.set(id, load);
      this.byNode.set(node, load);
    }
    this.sumWeights();
    this.shedOverloads();
    this.flushMoves();
    return this;
  }

  /**
   * Removes a node; its keys move, each to the next node clockwise with room. When it was the
   * last node its keys lose their assignment.
   *
   * @returns true if the node was there
   * @throws whatever `onMove` throws, once every move is done and reported
   */
  remove(node: T): boolean {
    const id = this.ring.idOf(node);
    const load = this.byId.get(id);
    if (!load) return false;
    this.ring.remove(node);
    this.byId.delete(id);
    this.byNode.delete(load.node);
    this.sumWeights();
    for (const key of load.keys) {
      if (this.byId.size === 0) {
        this.assignments.delete(key);
        this.reportMove(key, load.node, undefined);
      } else {
        this.place(key, this.firstWithRoom(key, this.assignments.size), load);
      }
    }
    load.keys.clear();
    this.flushMoves();
    return true;
  }

  /**
   * Assigns a key to the first node clockwise from its hash whose load is below its capacity
   * (counting this key). A key already assigned keeps its node.
   *
   * @param key - the key
   * @returns its node
   * @throws TypeError when key is not a string
   * @throws RangeError when there are no nodes
   */
  assign(key: string): T {
    if (typeof key !== 'string') {
      throw new TypeError(`key must be a string, got ${describeValue(key)}`);
    }
    const current = this.assignments.get(key);
    if (current) return current.node;
    if (this.byId.size === 0) throw new RangeError(`cannot assign ${describeValue(key)}: no nodes`);
    // The key counts in m, which raises the capacities it is checked against.
    const target = this.firstWithRoom(key, this.assignments.size + 1);
    this.assignments.set(key, target);
    target.keys.add(key);
    return target.node;
  }

  /**
   * Releases a key. The mean falls, so a node left above its new capacity hands keys on.
   *
   * @returns true if the key was assigned
   * @throws whatever `onMove` throws, once every move is done and reported
   */
  release(key: string): boolean {
    const load = this.assignments.get(key);
    if (!load) return false;
    this.assignments.delete(key);
    load.keys.delete(key);
    this.shedOverloads();
    this.flushMoves();
    return true;
  }

  /** The node a key is assigned to, or undefined. */
  nodeOf(key: string): T | undefined {
    return this.assignments.get(key)?.node;
  }

  /** How many keys a node holds (0 when it is not there). */
  loadOf(node: T): number {
    return this.byId.get(this.ring.idOf(node))?.keys.size ?? 0;
  }

  /**
   * A node's capacity now: ceil(c × m × weight / totalWeight) for m assigned keys, computed
   * exactly (c and the weights as the decimals they print as: 1.1 is 11/10). Returns 0 for a
   * node that is not there.
   */
  capacityOf(node: T): number {
    const load = this.byId.get(this.ring.idOf(node));
    return load ? this.capacity(load, this.assignments.size) : 0;
  }

  /** A snapshot of the loads. */
  stats(): BoundedLoadsStats {
    let maxLoad = 0;
    for (const load of this.byId.values()) maxLoad = Math.max(maxLoad, load.keys.size);
    const nodes = this.byId.size;
    const assigned = this.assignments.size;
    return {
      name: this.name,
      nodes,
      assigned,
      maxLoad,
      meanLoad: nodes === 0 ? 0 : assigned / nodes,
      moves: this.moves,
    };
  }

  // The total weight as an exact decimal, summed afresh on every change: each weight brought to
  // the smallest power of ten among them.
  private sumWeights(): void {
    let exponent = Number.POSITIVE_INFINITY;
    for (const load of this.byId.values()) exponent = Math.min(exponent, load.exact.exponent);
    let digits = 0n;
    for (const load of this.byId.values())
      digits += load.exact.digits * 10n ** BigInt(load.exact.exponent - exponent);
    this.totalDigits = digits;
    this.totalSmall = safe(digits);
    this.totalExponent = exponent === Number.POSITIVE_INFINITY ? 0 : exponent;
  }

  // ceil(c × m × w / W), exactly, with c and the weights taken as the decimals they print as
  // (1.1 is 11/10). In doubles the quotient can land just above a whole number the exact value
  // equals (1.1 × 360 / 3 = 132.00000000000003), and its ceiling would let a node hold one key
  // more than the bound. As integers: c × m × w / W = (cd × m × wd × 10^k) / Wd with
  // k = ce + we − We; in doubles while every integer is safe (the usual case), else in BigInt.
  private capacity(load: NodeLoad<T>, assigned: number): number {
    const c = this.exactFactor;
    const w = load.exact;
    const k = c.exponent + w.exponent - this.totalExponent;
    if (k >= -15 && k <= 15) {
      let num = c.small * assigned * w.small;
      let den = this.totalSmall;
      if (k >= 0) num *= 10 ** k;
      else den *= 10 ** -k;
      // NaN (digits too long for a double) fails these tests too.
      if (num <= Number.MAX_SAFE_INTEGER && den <= Number.MAX_SAFE_INTEGER) {
        const rest = num % den;
        return rest === 0 ? num / den : (num - rest) / den + 1;
      }
    }
    let num = c.digits * BigInt(assigned) * w.digits;
    let den = this.totalDigits;
    if (k >= 0) num *= 10n ** BigInt(k);
    else den *= 10n ** BigInt(-k);
    return Number((num + den - 1n) / den);
  }

  // Walks the ring clockwise from the key. The capacities sum to at least m, so some node has
  // room; the fallback (the least loaded node) only guards against a rounding surprise.
  private firstWithRoom(key: string, assigned: number): NodeLoad<T> {
    const ring = this.ring;
    const count = ring.pointCount;
    const start = ring.pointIndexOf(key);
    for (let step = 0; step < count; step++) {
      let index = start + step;
      if (index >= count) index -= count;
      const load = this.byNode.get(ring.nodeAtPoint(index))!;
      if (load.keys.size < this.capacity(load, assigned)) return load;
    }
    let least: NodeLoad<T> | undefined;
    for (const load of this.byId.values()) {
      if (!least || load.keys.size < least.keys.size) least = load;
    }
    return least!;
  }

  private place(key: string, to: NodeLoad<T>, from: NodeLoad<T>): void {
    this.assignments.set(key, to);
    to.keys.add(key);
    this.reportMove(key, from.node, to.node);
  }

  private shedOverloads(): void {
    const assigned = this.assignments.size;
    for (const load of this.byId.values()) {
      const capacity = this.capacity(load, assigned);
      // Oldest keys first: Set iteration follows insertion order.
      for (const key of load.keys) {
        if (load.keys.size <= capacity) break;
        load.keys.delete(key);
        this.place(key, this.firstWithRoom(key, this.assignments.size), load);
      }
    }
  }

  private reportMove(key: string, from: T, to: T | undefined): void {
    this.moves++;
    if (this.onMove !== undefined || channels.move.hasSubscribers) {
      this.pending.push([key, from, to]);
    }
  }

  private flushMoves(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    let failed = false;
    let error: unknown;
    for (const [key, from, to] of batch) {
      try {
        this.onMove?.(key, from, to);
      } catch (thrown) {
        if (!failed) error = thrown;
        failed = true;
      }
      if (channels.move.hasSubscribers) {
        channels.move.publish({ name: this.name, key, from, to });
      }
    }
    if (failed) throw error;
  }
}
