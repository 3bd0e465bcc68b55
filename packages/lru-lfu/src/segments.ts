// W-TinyLFU's segments and the split between them: the shell's slots threaded into three recency
// lists (a *window*, and a *main* region of *probation* and *protected*), each circular around a
// sentinel slot of its own (list `s` is slot `s`) and knowing its length; how many entries the
// window and protected may hold; and the climber's samples that move the window/main split. The
// frequency admission that decides who enters main is in w-tinylfu.ts.

import { HillClimber } from './hill-climber.js';
import { grow, type WTinyLFUOptions } from './options.js';
import { CacheShell } from './shell.js';

/** The lists, by their sentinel slots. */
export const WINDOW = 0;
export const PROBATION = 1;
export const PROTECTED = 2;
/** Gets per sample of the hill climber, per entry of capacity. */
const SAMPLES_PER_ENTRY = 2;
/** The protected segment's share of the main region. */
const PROTECTED_SHARE = 0.8;

/** The segmented lists of W-TinyLFU and its adaptive window. */
export abstract class Segments<K, V> extends CacheShell<K, V> {
  /** The list each slot is in. */
  protected listOf: Uint8Array;
  /** Entries per list. */
  protected readonly lengths = new Int32Array(3);
  protected windowMax: number;
  protected protectedMax: number;
  /** Gets (hits + misses) at which the running sample of the hill climber ends. */
  protected sampleEnd = 0;
  /** Uses (get hits, sets of a held key) in the running sample: all, and those in the window. */
  protected sampleUses = 0;
  protected sampleWindowUses = 0;
  private climber: HillClimber;
  /** `adaptive: false`: the window stays at 1%. */
  private readonly climbs: boolean;

  protected constructor(options: WTinyLFUOptions<K, V>, where: string) {
    super(options, where, 3);
    this.listOf = new Uint8Array(this.slotCount);
    this.emptyLists();
    this.climbs = options.adaptive !== false;
    this.climber = new HillClimber(this.capacity);
    // The window starts at 1% (Caffeine's default); the hill climber moves it from there.
    this.windowMax = initialWindow(this.capacity);
    this.protectedMax = Math.floor((this.capacity - this.windowMax) * PROTECTED_SHARE);
    this.startSample();
  }

  /**
   * Entries the window holds now before it passes candidates to the main region: 1% of the
   * capacity at first, then moved by the hill climber between 1 entry and most of the cache.
   */
  get windowCapacity(): number {
    return this.windowMax;
  }

  /** Entries the protected segment holds now before it demotes to probation (moves with the window). */
  get protectedCapacity(): number {
    return this.protectedMax;
  }

  // --- the lists ------------------------------------------------------------------------------

  /** Slot `i` becomes the most recent entry of list `s`. */
  protected join(i: number, s: number): void {
    this.linkFront(i, s);
    this.listOf[i] = s;
    this.lengths[s]!++;
  }

  /** Slot `i` leaves its list. */
  protected leave(i: number): void {
    this.unlink(i);
    this.lengths[this.listOf[i]!]!--;
  }

  /** Slot `i` becomes the most recent entry of list `s` (its own or another). */
  protected move(i: number, s: number): void {
    this.leave(i);
    this.join(i, s);
  }

  /** Moves list `from`'s least recent entries to the front of list `to` until `from` has `max`. */
  protected trim(from: number, max: number, to: number): void {
    while (this.lengths[from]! > max) this.move(this.prev[from]!, to);
  }

  /** The least recent entry of list `s` other than `keep`, or -1 if there is none. */
  protected leastRecent(s: number, keep: number): number {
    let i = this.prev[s]!;
    if (i === keep) i = this.prev[i]!;
    return i <= PROTECTED ? -1 : i;
  }

  /** The per-slot list marks follow the slot arrays. */
  protected grownLists(length: number): void {
    this.listOf = grow(this.listOf, length);
  }

  /** Every list empty, the split and the climber as at construction (after `clear()`). */
  protected emptySegments(): void {
    this.emptyLists();
    this.climber.reset();
    this.resizeWindow(initialWindow(this.capacity));
    this.startSample();
  }

  private emptyLists(): void {
    for (const s of [WINDOW, PROBATION, PROTECTED]) {
      this.next[s] = s;
      this.prev[s] = s;
      this.lengths[s] = 0;
    }
  }

  // --- the adaptive window ------------------------------------------------------------------

  /** The window keeps its share of the cache; the climber and its samples scale with it. */
  protected override resized(previous: number): void {
    const window = Math.round((this.windowMax / previous) * this.capacity);
    this.climber = new HillClimber(this.capacity);
    this.resizeWindow(Math.max(1, Math.min(this.capacity - 1, window)));
    this.startSample();
  }

  private startSample(): void {
    this.sampleUses = 0;
    this.sampleWindowUses = 0;
    this.sampleEnd = this.hits + this.misses + SAMPLES_PER_ENTRY * this.capacity;
  }

  /**
   * A sample of gets has ended (the policy calls this once `hits + misses` reaches `sampleEnd`):
   * the climber turns the uses it saw in the window and in main into a move of the window/main
   * split. Nothing moves while the cache is still filling (below capacity and below half of
   * `maxSize`): nothing has been evicted yet, so the split has not cost anything.
   */
  protected climb(): void {
    const windowUses = this.sampleWindowUses;
    const mainUses = this.sampleUses - windowUses;
    this.startSample();
    if (!this.climbs || (this.map.size < this.capacity && this.totalSize_ * 2 < this.maxSize))
      return;
    const gets = SAMPLES_PER_ENTRY * this.capacity;
    const amount = this.climber.adjustment(gets, windowUses, mainUses, this.windowMax);
    if (amount === 0) return;
    this.resizeWindow(Math.max(1, Math.min(this.capacity - 1, this.windowMax + amount)));
  }

  /**
   * Gives the window `windowMax` entries of room, and protected 80% of the rest. A larger window
   * takes main's least recent entries (probation's first) with its room; a smaller one passes
   * its least recent to probation, as does protected.
   */
  private resizeWindow(windowMax: number): void {
    for (let room = windowMax - this.windowMax; room > 0; room--) {
      let i = this.leastRecent(PROBATION, 0);
      if (i === -1) i = this.leastRecent(PROTECTED, 0);
      if (i === -1) break;
      this.move(i, WINDOW);
    }
    this.windowMax = windowMax;
    this.protectedMax = Math.floor((this.capacity - windowMax) * PROTECTED_SHARE);
    this.trim(WINDOW, windowMax, PROBATION);
    this.trim(PROTECTED, this.protectedMax, PROBATION);
  }
}

/** The window's size before the hill climber moves it: 1% of the capacity, at least 1. */
function initialWindow(capacity: number): number {
  return Math.max(1, Math.floor(capacity / 100));
}
