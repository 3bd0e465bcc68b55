// A consistent-hash ring (Karger et al., 1997) with virtual nodes.
//
// Picture the 32-bit hash space as a circle. Every node is hashed to many points on it (its
// virtual nodes); a key is hashed to one point and belongs to the first node point found going
// clockwise. When a node joins, only the keys that fall just before its new points change hands,
// and they all go to it; when it leaves, only its own keys move. With one point per node the arcs
// are very unequal (a node may own several times its fair share); with k points per node each
// node's share is a sum of k arcs, and its relative spread shrinks like 1/sqrt(k).
//
// The points live in one sorted Uint32Array, so a lookup is a hash plus a binary search; a
// parallel array says which node owns each point. Beside this file: the packing that sorts the
// points fast (point-packing.ts), the bucket index that narrows the search (lookup-index.ts),
// and the cache of recent keys (key-cache.ts).
import { checkInteger, checkOneOf, checkString, describeValue, typeError } from '@bulwark/kernel';
import { channels } from './channels.js';
import { type HashKey, hash32, hashBytes } from './hash.js';
import { type KetamaLayout, ketamaHash, ketamaPoints } from './ketama.js';
import { KeyCache } from './key-cache.js';
import { indexPoints } from './lookup-index.js';
import {
  checkAddWeight,
  checkId,
  checkKey,
  checkOptions,
  defaultNodeId,
  type NodeId,
} from './node-id.js';
import { SLOTS, sortPoints } from './point-packing.js';

/** Options of a {@link HashRing}. */
export interface HashRingOptions<T> {
  /** The instance's label in diagnostics-channel messages and `stats()`. Default `'default'`. */
  name?: string;
  /**
   * Virtual nodes (points on the ring) per unit of weight. More points balance better (the
   * spread of a node's share shrinks like 1/sqrt(vnodes)) at the cost of memory and build time.
   * Default 160. In ketama mode it must be a multiple of 4.
   */
  vnodes?: number;
  /**
   * Names a node; the name decides where its points go, so it must be stable and unique.
   * Default: strings as they are, numbers and bigints in decimal.
   */
  nodeId?: NodeId<T>;
  /**
   * Places points and hashes keys (MD5) as a ketama implementation does, so that clients in
   * other languages map keys to the same servers. The two references disagree on how many
   * points a server gets for some server counts (7, 14, 61, ... equal servers), so pick one:
   * `'libketama'` (the C library, and its ports) or `'hashring'` (the npm package).
   * `'ketama'` is the earlier name of `'hashring'`. Default: the package's own placement
   * (MurmurHash3, `${id}-${i}`), which is about an order of magnitude faster.
   */
  compatibility?: 'libketama' | 'hashring' | 'ketama';
  /**
   * Remembers the node of string keys, so hot keys skip the hash and the search. Left out (the
   * default), the cache is adaptive: off while keys rarely repeat, on (up to 4096 keys) while
   * at least half of the recent lookups repeat a recent key, so a small set of hot keys is fast
   * with no configuration and uniform keys pay nothing measurable. A number > 0 keeps a cache
   * of that many keys always on (worth it in ketama mode, where the hash is MD5); 0 turns
   * caching off. A full cache is emptied and refills; any change to the ring empties it.
   */
  cacheSize?: number;
}

/** Options of {@link HashRing.add}. */
export interface AddNodeOptions {
  /** The node's share relative to the others: it gets round(vnodes × weight) points. Default 1. */
  weight?: number;
}

/** A snapshot of a ring's shape. */
export interface HashRingStats {
  /** The ring's `name`. */
  name: string;
  /** Number of nodes. */
  nodes: number;
  /** Number of points (virtual nodes) on the ring. */
  points: number;
  /** Sum of the nodes' weights. */
  totalWeight: number;
  /** Keys in the lookup cache now (0 while the adaptive cache is off). */
  cachedKeys: number;
}

interface Member<T> {
  readonly id: string;
  readonly node: T;
  readonly slot: number;
  weight: number;
  points: Uint32Array;
}

// At most this many points per node (vnodes × weight), so a stray weight cannot allocate gigabytes.
const MAX_POINTS = 10_000_000;

/** The option names of {@link HashRingOptions}. */
const RING_KEYS: ReadonlySet<string> = new Set([
  'name',
  'vnodes',
  'nodeId',
  'compatibility',
  'cacheSize',
]);

/**
 * A consistent-hash ring with weighted virtual nodes.
 *
 * Lookups are a MurmurHash3 of the key and a binary search over a sorted `Uint32Array`, with no
 * allocation. The mapping depends only on the set of nodes and their weights, never on the order
 * they were added in, and is the same in every process and version.
 *
 * @typeParam T - the node type; strings and numbers work as they are, other types need `nodeId`
 * @example
 * const ring = new HashRing<string>();
 * ring.add('cache-a:11211').add('cache-b:11211').add('cache-c:11211', { weight: 2 });
 * ring.get('user:42'); // 'cache-b:11211'
 * ring.getN('user:42', 2); // two distinct servers, for replicas
 */
export class HashRing<T = string> {
  /** The `name` option: the label in channel messages and `stats()`. */
  readonly name: string;
  /** Virtual nodes per unit of weight. */
  readonly vnodes: number;
  /** The `compatibility` option: which ketama layout the ring reproduces, or undefined. */
  readonly compatibility: 'libketama' | 'hashring' | 'ketama' | undefined;

  private readonly nodeId: NodeId<T>;
  private readonly cache: KeyCache<T>;
  private readonly hashKey: (key: HashKey) => number;
  private readonly ketama: KetamaLayout | undefined;
  private readonly members = new Map<string, Member<T>>();
  private readonly freeSlots: number[] = [];
  private slotsInUse = 0;

  // The ring itself, rebuilt lazily on the first lookup after a change.
  private dirty = false;
  private positions = new Uint32Array(0);
  private owners: T[] = [];
  private ownerSlots = new Uint32Array(0);
  // bucketStarts[b] is the first point at or after b × 2^bucketShift: the top bits of a hash
  // jump straight to its neighbourhood (about one point per bucket) instead of a full search.
  private bucketShift = 32;
  private bucketStarts = new Uint32Array(2);
  // getN marks the slots it has seen with a stamp, so it needs neither a Set nor clearing.
  private seen = new Uint32Array(0);
  private stamp = 0;

  /**
   * @param options - see {@link HashRingOptions}
   * @throws RangeError when `vnodes` is not an integer in [1, 1e6] (a multiple of 4 in ketama mode)
   * @throws TypeError when `nodeId` is not a function, `compatibility` is unknown, or an option
   *   key is unknown (naming the nearest valid one)
   */
  constructor(options: HashRingOptions<T> = {}) {
    const {
      name = 'default',
      vnodes = 160,
      nodeId,
      compatibility,
      cacheSize,
    } = checkOptions(options, RING_KEYS, 'new HashRing(options)');
    this.name = checkString('name', name);
    if (compatibility !== undefined)
      checkOneOf('compatibility', compatibility, ['libketama', 'hashring', 'ketama']);
    const ketama: KetamaLayout | undefined =
      compatibility === undefined
        ? undefined
        : compatibility === 'libketama'
          ? 'libketama'
          : 'hashring';
    checkInteger('vnodes', vnodes, 1, 1e6);
    if (ketama !== undefined && vnodes % 4 !== 0) {
      throw new RangeError(`vnodes must be a multiple of 4 in ketama mode, got ${vnodes}`);
    }
    if (nodeId !== undefined && typeof nodeId !== 'function')
      typeError('nodeId', 'a function', nodeId);
    if (cacheSize !== undefined) checkInteger('cacheSize', cacheSize, 0);
    this.cache = new KeyCache<T>(cacheSize);
    this.vnodes = vnodes;
    this.compatibility = compatibility;
    this.ketama = ketama;
    this.nodeId = nodeId ?? (defaultNodeId as NodeId<T>);
    this.hashKey = ketama !== undefined ? ketamaHash : hash32;
  }

  /** Number of nodes on the ring. */
  get size(): number {
    return this.members.size;
  }

  /** The nodes on the ring, in the order they were added. */
  get nodes(): T[] {
    return Array.from(this.members.values(), (member) => member.node);
  }

  /**
   * Adds a node, or changes its weight if a node with the same id is already there (the node
   * value first added is kept).
   *
   * Adding moves to the new node only the keys that fall just before its points (about
   * weight / totalWeight of them) and nothing else; raising a weight adds points, so keys only
   * move onto that node.
   *
   * @param node - the node
   * @param options - its weight (default 1)
   * @returns the ring, for chaining
   * @throws RangeError when `weight` is not a finite number > 0, or (outside ketama mode) gives
   *   a node more than 10,000,000 points (vnodes × weight)
   */
  add(node: T, options: AddNodeOptions = {}): this {
    const weight = checkAddWeight(options);
    // Ketama mode gives a node at most 160 points per server whatever its weight.
    if (this.vnodes * weight > MAX_POINTS && this.ketama === undefined) {
      throw new RangeError(
        `weight must give at most ${MAX_POINTS} points (vnodes × weight), got ${weight} × ${this.vnodes}`,
      );
    }
    const id = this.idOf(node);
    const existing = this.members.get(id);
    if (existing) {
      existing.weight = weight;
      existing.points = this.pointsOf(id, weight);
    } else {
      if (this.slotsInUse >= SLOTS && this.freeSlots.length === 0) {
        throw new RangeError(`a ring holds at most ${SLOTS} nodes, adding ${describeValue(id)}`);
      }
      const slot = this.freeSlots.pop() ?? this.slotsInUse++;
      this.members.set(id, { id, node, slot, weight, points: this.pointsOf(id, weight) });
    }
    this.dirty = true;
    if (channels.add.hasSubscribers) channels.add.publish({ name: this.name, node, weight });
    return this;
  }

  /**
   * Removes a node; only its keys move, each to the next node clockwise.
   *
   * @param node - the node (or any value with the same id)
   * @returns true if it was on the ring
   */
  remove(node: T): boolean {
    const id = this.idOf(node);
    const member = this.members.get(id);
    if (!member) return false;
    this.members.delete(id);
    this.freeSlots.push(member.slot);
    this.dirty = true;
    if (channels.remove.hasSubscribers)
      channels.remove.publish({ name: this.name, node: member.node });
    return true;
  }

  /** Whether a node with this node's id is on the ring. */
  has(node: T): boolean {
    return this.members.has(this.idOf(node));
  }

  /** The weight of a node, or undefined when it is not on the ring. */
  weightOf(node: T): number | undefined {
    return this.members.get(this.idOf(node))?.weight;
  }

  /** The id the ring uses for a node (its `nodeId`). */
  idOf(node: T): string {
    return checkId(this.nodeId(node));
  }

  /**
   * The node that owns a key: the owner of the first point at or after the key's hash.
   *
   * @param key - a string (hashed as UTF-8) or bytes
   * @returns the node, or undefined when the ring is empty
   */
  get(key: HashKey): T | undefined {
    if (typeof key !== 'string') {
      const index = this.pointIndexOf(key);
      return index < 0 ? undefined : this.owners[index];
    }
    if (this.dirty) this.rebuild();
    const cache = this.cache;
    if (cache.on) {
      const cached = cache.map.get(key);
      if (cached !== undefined) {
        if (cache.hits < cache.window) cache.hits++;
        return cached;
      }
    }
    if (this.positions.length === 0) return undefined;
    const hash = this.hashKey(key);
    const node = this.owners[this.indexOfHash(hash)]!;
    if (cache.on) cache.remember(key, node);
    else if ((hash & cache.watchMask) === 0) cache.watch(key, hash);
    return node;
  }

  /**
   * Up to `n` distinct nodes for a key, in ring order from the key: the first is
   * {@link HashRing.get}, the next ones are where its replicas go (and where the key moves if
   * the first leaves). Returns every node when `n` exceeds the node count.
   *
   * @param key - a string or bytes
   * @param n - how many nodes; an integer >= 0
   * @throws RangeError when n is not an integer >= 0
   */
  getN(key: HashKey, n: number): T[] {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`n must be an integer >= 0, got ${describeValue(n)}`);
    }
    const start = this.pointIndexOf(key);
    const result: T[] = [];
    if (start < 0 || n === 0) return result;
    const wanted = Math.min(n, this.members.size);
    const stamp = this.nextStamp();
    const count = this.positions.length;
    for (let step = 0; step < count && result.length < wanted; step++) {
      let index = start + step;
      if (index >= count) index -= count;
      const slot = this.ownerSlots[index]!;
      if (this.seen[slot] !== stamp) {
        this.seen[slot] = stamp;
        result.push(this.owners[index]!);
      }
    }
    return result;
  }

  /** A snapshot of the ring's size. */
  stats(): HashRingStats {
    this.ensureBuilt();
    return {
      name: this.name,
      nodes: this.members.size,
      points: this.positions.length,
      totalWeight: this.totalWeight(),
      cachedKeys: this.cache.map.size,
    };
  }

  /** Number of points on the ring (for walking it with {@link HashRing.nodeAtPoint}). */
  get pointCount(): number {
    this.ensureBuilt();
    return this.positions.length;
  }

  /**
   * The index of the point that owns a key (the first point at or after its hash, wrapping
   * around), or -1 when the ring is empty. With {@link HashRing.nodeAtPoint} this lets other
   * structures (bounded loads, say) walk the ring clockwise from a key.
   */
  pointIndexOf(key: HashKey): number {
    if (typeof key !== 'string') checkKey(key);
    if (this.dirty) this.rebuild();
    if (this.positions.length === 0) return -1;
    return this.indexOfHash(this.hashKey(key));
  }

  /** The index of the first point at or after `hash`, wrapping around; the ring is not empty. */
  private indexOfHash(hash: number): number {
    const positions = this.positions;
    const count = positions.length;
    // Lower bound (the first position >= hash), searched only within the hash's bucket: the
    // bucket index narrows the range to about one point, so this loop rarely runs.
    const bucket = hash >>> this.bucketShift;
    let low = this.bucketStarts[bucket]!;
    let high = this.bucketStarts[bucket + 1]!;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (positions[mid]! < hash) low = mid + 1;
      else high = mid;
    }
    return low === count ? 0 : low;
  }

  /** The node that owns point `index` (0 <= index < {@link HashRing.pointCount}). */
  nodeAtPoint(index: number): T {
    this.ensureBuilt();
    const node = this.owners[index];
    if (node === undefined || !Number.isInteger(index)) {
      throw new RangeError(`index must be an integer in [0, ${this.owners.length}), got ${index}`);
    }
    return node;
  }

  // Summed afresh rather than kept as a running total, which would drift with rounding.
  private totalWeight(): number {
    let total = 0;
    for (const member of this.members.values()) total += member.weight;
    return total;
  }

  private ensureBuilt(): void {
    if (this.dirty) this.rebuild();
  }

  private pointsOf(id: string, weight: number): Uint32Array {
    // Ketama points depend on every server's weight, so the rebuild computes them.
    if (this.ketama !== undefined) return new Uint32Array(0);
    // The first k points of a node do not depend on its weight, so raising a weight only adds
    // points and lowering one only removes some.
    const count = Math.max(1, Math.round(this.vnodes * weight));
    const points = new Uint32Array(count);
    // Point i sits at hash32(`${id}-${i}`). The UTF-8 bytes of `${id}-` are written once and the
    // digits of i after them, which hashes the same bytes without building a string per point.
    const prefix = utf8.encode(`${id}-`);
    const name = new Uint8Array(prefix.length + 16);
    name.set(prefix);
    for (let i = 0; i < count; i++) {
      const length = writeDecimal(name, prefix.length, i);
      points[i] = hashBytes(name, length, 0);
    }
    return points;
  }

  private rebuild(): void {
    this.dirty = false;
    this.cache.clear();
    const members = [...this.members.values()];
    if (this.ketama !== undefined) {
      const totalWeight = this.totalWeight();
      for (const member of members) {
        member.points = ketamaPoints(
          member.id,
          member.weight,
          totalWeight,
          members.length,
          this.vnodes,
          this.ketama,
        );
      }
    }
    const bySlot: Member<T>[] = [];
    for (const member of members) bySlot[member.slot] = member;
    const { positions, ownerSlots } = sortPoints(members, bySlot);
    const total = positions.length;
    const owners = new Array<T>(total);
    for (let i = 0; i < total; i++) owners[i] = bySlot[ownerSlots[i]!]!.node;

    this.positions = positions;
    this.ownerSlots = ownerSlots;
    const index = indexPoints(positions);
    this.bucketShift = index.shift;
    this.bucketStarts = index.starts;
    this.owners = owners;
    if (this.seen.length < this.slotsInUse) {
      this.seen = new Uint32Array(this.slotsInUse);
      this.stamp = 0;
    }
  }

  private nextStamp(): number {
    if (this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }
}

const utf8 = new TextEncoder();

// Writes the decimal digits of a non-negative integer at `at`; returns the end.
function writeDecimal(bytes: Uint8Array, at: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    bytes[at + i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
  return at + digits;
}
