// Segmented recency lists: the shell's slots threaded into several LRU lists at once, each
// circular around a sentinel slot of its own (list `s` is slot `s`), each knowing its length.
// W-TinyLFU keeps its window, probation and protected segments this way; the algorithm that
// moves entries between them is in w-tinylfu.ts.

import type { CacheOptions } from './options.js';
import { grow } from './options.js';
import { CacheShell } from './shell.js';

/** A cache whose policy keeps `lists` recency lists, their sentinels slots `0 .. lists-1`. */
export abstract class Segments<K, V> extends CacheShell<K, V> {
  /** The list each slot is in. */
  protected listOf: Uint8Array;
  /** Entries per list. */
  protected readonly lengths: Int32Array;

  protected constructor(options: CacheOptions<K, V>, where: string, lists: number) {
    super(options, where, lists);
    this.listOf = new Uint8Array(this.slotCount);
    this.lengths = new Int32Array(lists);
    this.emptyLists();
  }

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
    return i < this.lengths.length ? -1 : i;
  }

  /** The per-slot list marks follow the slot arrays. */
  protected grownLists(length: number): void {
    this.listOf = grow(this.listOf, length);
  }

  /** Every list empty. */
  protected emptyLists(): void {
    for (let s = 0; s < this.lengths.length; s++) {
      this.next[s] = s;
      this.prev[s] = s;
      this.lengths[s] = 0;
    }
  }
}
