// The doorkeeper of TinyLFU: a Bloom filter in front of the count-min sketch.
//
// Most keys of a skewed workload are seen once per aging period and never again. Counting them
// in the sketch fills its counters with noise that blurs the keys that matter. The doorkeeper
// remembers, in one bit per key (two probes), which keys were seen once this period; only a
// key's second and later accesses reach the sketch, and an estimate adds the doorkeeper's one.
// It is cleared whenever the sketch ages.

/** A Bloom filter of 32-bit hashes with two probes, sized in bits per expected key. */
export class Doorkeeper {
  private bits: Uint32Array;
  private mask: number;

  /** @param bits the filter's size in bits: a power of two, at least 32. */
  constructor(bits: number) {
    this.bits = new Uint32Array(bits >>> 5);
    this.mask = bits - 1;
  }

  /** Records the hash; `true` if it was (probably) recorded before since the last clear. */
  admit(hash: number): boolean {
    const a = hash & this.mask;
    const b = (Math.imul(hash, 0x9e3779b1) >>> 0) & this.mask;
    const wordA = a >>> 5;
    const bitA = 1 << (a & 31);
    const wordB = b >>> 5;
    const bitB = 1 << (b & 31);
    const seen = (this.bits[wordA]! & bitA) !== 0 && (this.bits[wordB]! & bitB) !== 0;
    this.bits[wordA]! |= bitA;
    this.bits[wordB]! |= bitB;
    return seen;
  }

  /** Whether the hash was (probably) recorded since the last clear. */
  has(hash: number): boolean {
    const a = hash & this.mask;
    const b = (Math.imul(hash, 0x9e3779b1) >>> 0) & this.mask;
    return (
      (this.bits[a >>> 5]! & (1 << (a & 31))) !== 0 && (this.bits[b >>> 5]! & (1 << (b & 31))) !== 0
    );
  }

  /** Makes the filter `bits` bits long (it never shrinks) and empty. */
  resize(bits: number): void {
    if (bits - 1 > this.mask) {
      this.bits = new Uint32Array(bits >>> 5);
      this.mask = bits - 1;
    } else {
      this.clear();
    }
  }

  /** Forgets every key. */
  clear(): void {
    this.bits.fill(0);
  }
}
