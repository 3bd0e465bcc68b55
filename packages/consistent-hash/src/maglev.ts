// Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
// NSDI 2016).
//
// A lookup table of M entries (M prime) is filled once; a lookup is table[hash(key) mod M], one
// array read. Each node has its own permutation of the table, (offset + j × skip) mod M, with
// offset and skip from two hashes of its id (M prime makes every skip visit every entry). The
// nodes take turns claiming their next preferred free entry until the table is full, so each
// gets M / N entries, give or take one: nearly perfect balance.
//
// The price is disruption. Removing a node frees its entries for the others, but the turns also
// go differently, so a few entries that belonged to other nodes change hands: slightly more than
// 1/N of the keys move (the paper measured a few percent extra; the README's table shows the
// figure for this implementation). A bigger table lowers both imbalance and disruption;
// the paper recommends M > 100 × N.
import { checkString, describeValue, typeError } from '@bulwark/kernel';
import { channels } from './channels.js';
import { type HashKey, hash32 } from './hash.js';
import type { AddNodeOptions } from './hash-ring.js';
import {
  checkAddWeight,
  checkId,
  checkKey,
  checkOptions,
  defaultNodeId,
  type NodeId,
} from './node-id.js';

/** A snapshot of a {@link Maglev} table. */
export interface MaglevStats {
  /** The instance's `name`. */
  name: string;
  /** Number of nodes. */
  nodes: number;
  /** Entries in the lookup table (M). */
  tableSize: number;
  /** The fewest table entries any node holds (0 without nodes). */
  minEntries: number;
  /** The most table entries any node holds (0 without nodes). */
  maxEntries: number;
}

/** Options of {@link Maglev}. */
export interface MaglevOptions<T> {
  /** The instance's label in diagnostics-channel messages and `stats()`. Default `'default'`. */
  name?: string;
  /** Entries in the lookup table: a prime, at least the node count. Default 65537. */
  tableSize?: number;
  /**
   * Names a node; the name decides its permutation, so it must be stable and unique.
   * Default: strings as they are, numbers and bigints in decimal.
   */
  nodeId?: NodeId<T>;
}

const OFFSET_SEED = 0x5bd1e995;
const MAGLEV_KEYS: ReadonlySet<string> = new Set(['name', 'tableSize', 'nodeId']);
const SKIP_SEED = 0x1b873593;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

interface Backend<T> {
  readonly id: string;
  readonly node: T;
  weight: number;
}

/**
 * Maglev consistent hashing: a prime-sized lookup table, filled by the nodes in turn.
 *
 * Weights are honoured by turns: in each round a node of weight w claims w / maxWeight entries
 * on average, so its share of the table is proportional to its weight.
 *
 * @typeParam T - the node type; strings and numbers work as they are, other types need `nodeId`
 * @example
 * const maglev = new Maglev<string>({ tableSize: 65537 });
 * maglev.add('backend-1').add('backend-2').add('backend-3');
 * maglev.get('flow:10.0.0.1:5555'); // one table read after the first lookup builds the table
 */
export class Maglev<T = string> {
  /** The `name` option: the label in channel messages and `stats()`. */
  readonly name: string;
  /** Entries in the lookup table. */
  readonly tableSize: number;

  private readonly nodeId: NodeId<T>;
  private readonly backends = new Map<string, Backend<T>>();
  private dirty = false;
  private table: T[] = [];

  /**
   * @param options - see {@link MaglevOptions}
   * @throws RangeError when `tableSize` is not a prime in [2, 2^31)
   * @throws TypeError when `nodeId` is not a function or an option key is unknown
   */
  constructor(options: MaglevOptions<T> = {}) {
    const {
      name = 'default',
      tableSize = 65537,
      nodeId,
    } = checkOptions(options, MAGLEV_KEYS, 'new Maglev(options)');
    this.name = checkString('name', name);
    if (!Number.isInteger(tableSize) || tableSize >= 2 ** 31 || !isPrime(tableSize)) {
      throw new RangeError(`tableSize must be a prime below 2^31, got ${describeValue(tableSize)}`);
    }
    if (nodeId !== undefined && typeof nodeId !== 'function')
      typeError('nodeId', 'a function', nodeId);
    this.tableSize = tableSize;
    this.nodeId = nodeId ?? (defaultNodeId as NodeId<T>);
  }

  /** Number of nodes. */
  get size(): number {
    return this.backends.size;
  }

  /** The nodes, in the order they were added. */
  get nodes(): T[] {
    return Array.from(this.backends.values(), (backend) => backend.node);
  }

  /**
   * Adds a node (or changes its weight). The table is rebuilt on the next lookup.
   *
   * @throws RangeError when `weight` is not a finite number > 0, or the table has no room left
   */
  add(node: T, options: AddNodeOptions = {}): this {
    const weight = checkAddWeight(options);
    const id = checkId(this.nodeId(node));
    const existing = this.backends.get(id);
    if (existing) {
      existing.weight = weight;
    } else {
      if (this.backends.size >= this.tableSize) {
        throw new RangeError(`tableSize ${this.tableSize} leaves no entry for another node`);
      }
      this.backends.set(id, { id, node, weight });
    }
    this.dirty = true;
    if (channels.add.hasSubscribers) channels.add.publish({ name: this.name, node, weight });
    return this;
  }

  /**
   * Removes a node. Its keys move to the others, and a small fraction of other keys move too
   * (see the disruption note in the README).
   *
   * @returns true if the node was there
   */
  remove(node: T): boolean {
    const id = checkId(this.nodeId(node));
    const backend = this.backends.get(id);
    if (backend === undefined) return false;
    this.backends.delete(id);
    this.dirty = true;
    if (channels.remove.hasSubscribers)
      channels.remove.publish({ name: this.name, node: backend.node });
    return true;
  }

  /**
   * A snapshot: node count, table size, and the fewest and most table entries any node holds
   * (their ratio is the worst imbalance between two nodes of equal weight).
   */
  stats(): MaglevStats {
    if (this.dirty) this.populate();
    const entries = new Map<T, number>();
    for (const node of this.table) entries.set(node, (entries.get(node) ?? 0) + 1);
    const counts = [...entries.values()];
    return {
      name: this.name,
      nodes: this.backends.size,
      tableSize: this.tableSize,
      minEntries: counts.length === 0 ? 0 : Math.min(...counts),
      maxEntries: counts.length === 0 ? 0 : Math.max(...counts),
    };
  }

  /** Whether a node with this node's id is there. */
  has(node: T): boolean {
    return this.backends.has(checkId(this.nodeId(node)));
  }

  /**
   * The node for a key: `table[hash32(key) mod tableSize]`.
   *
   * @returns the node, or undefined when there are none
   */
  get(key: HashKey): T | undefined {
    if (typeof key !== 'string') checkKey(key);
    if (this.dirty) this.populate();
    return this.table[hash32(key) % this.tableSize];
  }

  /** The lookup table as node per entry (a copy), for inspection and tests. */
  lookupTable(): T[] {
    if (this.dirty) this.populate();
    return [...this.table];
  }

  // The population loop of the paper (its Pseudocode 1), with weighted turns.
  private populate(): void {
    this.dirty = false;
    const size = this.tableSize;
    // Sorted by id, so the table depends only on which nodes there are, not on their order.
    const backends = [...this.backends.values()].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    const count = backends.length;
    if (count === 0) {
      this.table = [];
      return;
    }
    const next = new Float64Array(count); // the next entry each node wants
    const skip = new Float64Array(count);
    const credit = new Float64Array(count);
    let maxWeight = 0;
    for (let i = 0; i < count; i++) {
      const id = backends[i]!.id;
      next[i] = hash32(id, OFFSET_SEED) % size;
      skip[i] = (hash32(id, SKIP_SEED) % (size - 1)) + 1;
      maxWeight = Math.max(maxWeight, backends[i]!.weight);
    }
    const owner = new Int32Array(size).fill(-1);
    let filled = 0;
    while (filled < size) {
      for (let i = 0; i < count && filled < size; i++) {
        credit[i]! += backends[i]!.weight / maxWeight;
        if (credit[i]! < 1) continue;
        credit[i]! -= 1;
        let entry = next[i]!;
        while (owner[entry] !== -1) entry = (entry + skip[i]!) % size;
        owner[entry] = i;
        next[i] = (entry + skip[i]!) % size;
        filled++;
      }
    }
    const table = new Array<T>(size);
    for (let entry = 0; entry < size; entry++) table[entry] = backends[owner[entry]!]!.node;
    this.table = table;
  }
}
