// Rendezvous, or highest-random-weight, hashing (Thaler and Ravishankar, 1996).
//
// Every (key, node) pair gets a pseudo-random score; the key goes to the node with the highest.
// When a node leaves, only its keys move, each to its own second choice, so they spread evenly
// over the others; when a node joins it wins exactly the keys whose score it tops. No ring and no
// virtual nodes, and the balance is as good as the hash; the price is O(nodes) per lookup.
//
// Weights use the logarithmic method (Schindelhauer and Schomaker, 2005): with u the pair's hash
// mapped into (0, 1), score = -weight / ln(u). A node then wins a weight / totalWeight share,
// and changing one weight moves keys only to or from that node.
import { checkString, describeValue } from '@bulwark/kernel';
import { channels } from './channels.js';
import { type HashKey, hash32, hashWord } from './hash.js';
import type { AddNodeOptions } from './hash-ring.js';
import {
  checkAddWeight,
  checkId,
  checkKey,
  checkOptions,
  defaultNodeId,
  type NodeId,
} from './node-id.js';

/** A snapshot of a {@link Rendezvous} node set. */
export interface RendezvousStats {
  /** The instance's `name`. */
  name: string;
  /** Number of nodes. */
  nodes: number;
  /** Sum of the nodes' weights. */
  totalWeight: number;
}

/** Options of {@link Rendezvous}. */
export interface RendezvousOptions<T> {
  /** The instance's label in diagnostics-channel messages and `stats()`. Default `'default'`. */
  name?: string;
  /**
   * Names a node; the name seeds its scores, so it must be stable and unique.
   * Default: strings as they are, numbers and bigints in decimal.
   */
  nodeId?: NodeId<T>;
}

const TWO_POW_32 = 2 ** 32;
const RENDEZVOUS_KEYS: ReadonlySet<string> = new Set(['name', 'nodeId']);

/**
 * Rendezvous (highest random weight) hashing with weights.
 *
 * @typeParam T - the node type; strings and numbers work as they are, other types need `nodeId`
 * @example
 * const hrw = new Rendezvous<string>();
 * hrw.add('a').add('b').add('c', { weight: 2 });
 * hrw.get('user:42'); // the node with the highest score for this key
 */
export class Rendezvous<T = string> {
  /** The `name` option: the label in channel messages and `stats()`. */
  readonly name: string;
  private readonly nodeId: NodeId<T>;
  // Parallel arrays, kept sorted by id so that equal scores resolve the same way in every process.
  private ids: string[] = [];
  private members: T[] = [];
  private seeds: number[] = [];
  private weights: number[] = [];
  // With equal weights the score is monotonic in the hash, so the logarithm can be skipped.
  private uniform = true;
  private scores = new Float64Array(0);

  /**
   * @param options - see {@link RendezvousOptions}
   * @throws TypeError when `nodeId` is not a function or an option key is unknown
   */
  constructor(options: RendezvousOptions<T> = {}) {
    const { name = 'default', nodeId } = checkOptions(
      options,
      RENDEZVOUS_KEYS,
      'new Rendezvous(options)',
    );
    this.name = checkString('name', name);
    if (nodeId !== undefined && typeof nodeId !== 'function') {
      throw new TypeError(`nodeId must be a function, got ${describeValue(nodeId)}`);
    }
    this.nodeId = nodeId ?? (defaultNodeId as NodeId<T>);
  }

  /** Number of nodes. */
  get size(): number {
    return this.members.length;
  }

  /** The nodes, ordered by id. */
  get nodes(): T[] {
    return [...this.members];
  }

  /**
   * Adds a node (or changes its weight). Only keys that now score highest on it move, all onto it.
   *
   * @throws RangeError when `weight` is not a finite number > 0
   */
  add(node: T, options: AddNodeOptions = {}): this {
    const weight = checkAddWeight(options);
    const id = checkId(this.nodeId(node));
    const at = this.indexOf(id);
    if (this.ids[at] === id) {
      this.weights[at] = weight;
    } else {
      this.ids.splice(at, 0, id);
      this.members.splice(at, 0, node);
      this.seeds.splice(at, 0, hash32(id));
      this.weights.splice(at, 0, weight);
      this.scores = new Float64Array(this.members.length);
    }
    this.uniform = this.weights.every((w) => w === this.weights[0]);
    if (channels.add.hasSubscribers) channels.add.publish({ name: this.name, node, weight });
    return this;
  }

  /**
   * Removes a node; each of its keys moves to its own next-highest node.
   *
   * @returns true if the node was there
   */
  remove(node: T): boolean {
    const id = checkId(this.nodeId(node));
    const at = this.indexOf(id);
    if (this.ids[at] !== id) return false;
    const removed = this.members[at];
    this.ids.splice(at, 1);
    this.members.splice(at, 1);
    this.seeds.splice(at, 1);
    this.weights.splice(at, 1);
    this.uniform = this.weights.every((w) => w === this.weights[0]);
    if (channels.remove.hasSubscribers) channels.remove.publish({ name: this.name, node: removed });
    return true;
  }

  /** A snapshot: node count and total weight. */
  stats(): RendezvousStats {
    let totalWeight = 0;
    for (const weight of this.weights) totalWeight += weight;
    return { name: this.name, nodes: this.members.length, totalWeight };
  }

  /** Whether a node with this node's id is there. */
  has(node: T): boolean {
    const id = checkId(this.nodeId(node));
    return this.ids[this.indexOf(id)] === id;
  }

  /**
   * The node with the highest score for a key.
   *
   * @param key - a string (hashed as UTF-8) or bytes
   * @returns the node, or undefined when there are none
   */
  get(key: HashKey): T | undefined {
    if (typeof key !== 'string') checkKey(key);
    const count = this.members.length;
    if (count === 0) return undefined;
    const keyHash = hash32(key);
    let best = 0;
    let bestScore = -1;
    for (let i = 0; i < count; i++) {
      const score = this.score(keyHash, i);
      // Strictly greater: on a tie the smaller id (the earlier index) wins.
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return this.members[best];
  }

  /**
   * The `n` nodes with the highest scores for a key, best first (the first is
   * {@link Rendezvous.get}); every node when `n` exceeds the node count.
   *
   * @throws RangeError when n is not an integer >= 0
   */
  getN(key: HashKey, n: number): T[] {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`n must be an integer >= 0, got ${describeValue(n)}`);
    }
    if (typeof key !== 'string') checkKey(key);
    const count = this.members.length;
    const wanted = Math.min(n, count);
    const result: T[] = [];
    if (wanted === 0) return result;
    const keyHash = hash32(key);
    const scores = this.scores;
    for (let i = 0; i < count; i++) scores[i] = this.score(keyHash, i);
    // Selection of the best `wanted`: O(n × nodes), fine for replica counts.
    for (let picked = 0; picked < wanted; picked++) {
      let best = -1;
      for (let i = 0; i < count; i++) {
        if (scores[i]! >= 0 && (best < 0 || scores[i]! > scores[best]!)) best = i;
      }
      result.push(this.members[best]!);
      scores[best] = -1;
    }
    return result;
  }

  private score(keyHash: number, index: number): number {
    const hash = hashWord(keyHash, this.seeds[index]!);
    if (this.uniform) return hash;
    // u in (0, 1): never 0 (ln would be -Infinity) nor 1 (ln would be 0).
    const u = (hash + 0.5) / TWO_POW_32;
    return -this.weights[index]! / Math.log(u);
  }

  // Binary search for the index of id, or where it would be inserted.
  private indexOf(id: string): number {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.ids[mid]! < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
