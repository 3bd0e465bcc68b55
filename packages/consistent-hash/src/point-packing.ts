// Sorting a ring's points with their owners, fast. Each point is packed into one double as
// `position * SLOTS + slot` (slot: a small integer naming the node), so the whole ring sorts as
// one Float64Array: a native numeric sort of a typed array, with no comparator and no objects.
// 2^32 positions × 2^20 slots fits in the 53 bits a double holds exactly.

/** How many node slots a ring has: at most this many nodes. */
export const SLOTS = 2 ** 20;

/** A node's points and the slot that names it, as the packing sees them. */
export interface PackedMember {
  readonly id: string;
  readonly slot: number;
  readonly points: Uint32Array;
}

/**
 * Every member's points in ring order: `positions` ascending, `ownerSlots[i]` the slot of the
 * node owning point i. Equal positions are ordered by node id, so the result depends only on
 * which nodes there are, never on the order they were added in.
 */
export function sortPoints(
  members: readonly PackedMember[],
  bySlot: readonly PackedMember[],
): { positions: Uint32Array<ArrayBuffer>; ownerSlots: Uint32Array<ArrayBuffer> } {
  let total = 0;
  for (const member of members) total += member.points.length;
  const packed = new Float64Array(total);
  let at = 0;
  for (const member of members) {
    for (const point of member.points) packed[at++] = point * SLOTS + member.slot;
  }
  packed.sort();
  const positions = new Uint32Array(total);
  const ownerSlots = new Uint32Array(total);
  for (let i = 0; i < total; i++) {
    const value = packed[i]!;
    const position = Math.floor(value / SLOTS);
    positions[i] = position;
    ownerSlots[i] = value - position * SLOTS;
  }
  breakTiesById(positions, ownerSlots, bySlot);
  return { positions, ownerSlots };
}

// Two nodes' points may land on the same position (about once per 2^32 / points² rings). Slots
// depend on the order nodes were added in, so equal positions are ordered by node id instead.
function breakTiesById(
  positions: Uint32Array,
  ownerSlots: Uint32Array,
  bySlot: readonly PackedMember[],
): void {
  const count = positions.length;
  for (let i = 0; i + 1 < count; i++) {
    if (positions[i] !== positions[i + 1]) continue;
    let end = i + 1;
    while (end + 1 < count && positions[end + 1] === positions[i]) end++;
    const run = Array.from(ownerSlots.subarray(i, end + 1));
    run.sort((a, b) => {
      const idA = bySlot[a]!.id;
      const idB = bySlot[b]!.id;
      return idA < idB ? -1 : idA > idB ? 1 : 0;
    });
    ownerSlots.set(run, i);
    i = end;
  }
}
