// The packed reply of an admitted decision. Most script calls admit, and an admission's decision
// is just (remaining, resetMs): allowed is 1 and retryAfterMs 0 by definition. So instead of a
// four-element table the scripts reply with one integer, which Redis encodes as a single `:n`
// reply instead of an array of four, and which the client decodes with two arithmetic steps:
//
//   packed = remaining * 2^23 + resetMs,   0 <= remaining < 2^30,   0 <= resetMs < 2^23
//
// so packed < 2^53: a Lua double holds it exactly, Redis' integer reply carries it unchanged and
// a JS number reads it back bit for bit. 2^30 units (about 1.07e9) covers any sensible limit,
// and 2^23 ms (about 2.3 hours) any reset of a per-second or per-minute limit. An admission
// whose fields do not fit, a lease request (which adds the units taken) and every refusal reply
// with the table as before; the client tells the two apart by the reply's type.

/** Bits of the packed reply that hold `resetMs`; `remaining` sits above them. */
export const RESET_BITS = 23;
/** `resetMs` must be below this to be packed: 2^23 ms, about 2.3 hours. */
export const RESET_LIMIT = 2 ** RESET_BITS;
/** `remaining` must be below this to be packed: 2^30 units. */
export const REMAINING_LIMIT = 2 ** 30;

/**
 * The Lua tail of a script: an admission (not of a lease request) whose `remaining` and
 * `resetMs` fit replies with the packed integer. The scripts round both to integers first.
 */
export const RETURN_PACKED = `if allowed and not lease and remaining < ${REMAINING_LIMIT} and resetMs < ${RESET_LIMIT} and remaining >= 0 and resetMs >= 0 then
  return remaining * ${RESET_LIMIT} + resetMs
end`;

/** What the scripts compute for an admission's reply: the packed integer, or undefined when a field does not fit. */
export function pack(remaining: number, resetMs: number): number | undefined {
  if (remaining < 0 || remaining >= REMAINING_LIMIT || resetMs < 0 || resetMs >= RESET_LIMIT)
    return undefined;
  return remaining * RESET_LIMIT + resetMs;
}

/** `remaining` of a packed reply. Exact: dividing by a power of two loses nothing below 2^53. */
export function packedRemaining(packed: number): number {
  return Math.floor(packed / RESET_LIMIT);
}

/** `resetMs` of a packed reply. */
export function packedResetMs(packed: number): number {
  return packed % RESET_LIMIT;
}
