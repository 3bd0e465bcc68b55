// An index over the sorted points that narrows a lookup to about one point before the binary
// search: the top `bits` of a hash name a bucket, and `starts[b]` is the first point at or
// after b × 2^(32 − bits). With about one point per bucket, the search loop rarely runs.

/** The bucket index of a ring: shift a hash right by `shift` to get its bucket. */
export interface LookupIndex {
  readonly shift: number;
  /** `starts[b]` is the first point in bucket b; `starts[buckets]` is the point count. */
  readonly starts: Uint32Array<ArrayBuffer>;
}

/** Index sorted `positions`: about one point per bucket, at most 2^16 buckets (256 KiB). */
export function indexPoints(positions: Uint32Array): LookupIndex {
  const count = positions.length;
  const bits = Math.min(16, Math.max(1, Math.ceil(Math.log2(count + 1))));
  const shift = 32 - bits;
  const buckets = 2 ** bits;
  const starts = new Uint32Array(buckets + 1);
  let index = 0;
  for (let bucket = 0; bucket < buckets; bucket++) {
    const bucketStart = bucket * 2 ** shift;
    while (index < count && positions[index]! < bucketStart) index++;
    starts[bucket] = index;
  }
  starts[buckets] = count;
  return { shift, starts };
}
