// How an entry is stored in Redis: one string, a header line and the serialized value,
//
//   fence|written|fresh|swr|sie|delta|undefined|tags\n<value>
//
// `fence` and `written` (the server's TIME) are put in by the WRITE script; the client sends the
// rest. Durations are relative (ms fresh, ms of each stale window), so an entry read elsewhere
// is placed on the reader's clock from its age on the server's clock, never from another
// machine's.

import type { Entry } from '../entry.js';
import type { Serializer } from './serializer.js';

/** What WRITE needs of an entry. @internal */
export interface Encoded {
  /** `fresh|swr|sie|delta|undefined|tags`. */
  header: string;
  /** The serialized value ('' for `undefined`). */
  text: string;
  /** How long Redis keeps it (its last window), -1 for ever. */
  keepMs: number;
}

/** Encodes `entry` as of `now` (the writer's clock). Throws what the serializer throws. @internal */
export function encodeEntry<V>(entry: Entry<V>, now: number, serializer: Serializer<V>): Encoded {
  const undefinedValue = entry.value === undefined;
  let text = '';
  if (!undefinedValue) {
    text = serializer.serialize(entry.value);
    if (typeof text !== 'string') throw new TypeError('serializer.serialize must return a string');
  }
  const forever = entry.freshUntil === Number.POSITIVE_INFINITY;
  const freshMs = forever ? -1 : Math.max(1, Math.round(entry.freshUntil - now));
  const swrMs = forever ? 0 : Math.round(entry.staleUntil - entry.freshUntil);
  const sieMs = forever ? 0 : Math.round(entry.errorUntil - entry.freshUntil);
  const tags = entry.tags === undefined ? '' : JSON.stringify(entry.tags);
  return {
    header: `${freshMs}|${swrMs}|${sieMs}|${Math.round(entry.deltaMs)}|${undefinedValue ? 1 : 0}|${tags}`,
    text,
    keepMs: forever ? -1 : freshMs + Math.max(swrMs, sieMs),
  };
}

/**
 * The entry a stored string holds, on the reader's clock: its age is `serverNow` minus when it
 * was written, and `localNow` is the reader's clock at that moment. Throws on a malformed string
 * and on what the serializer throws. @internal
 */
export function decodeEntry<V>(
  raw: string,
  serverNow: number,
  localNow: number,
  serializer: Serializer<V>,
): Entry<V> {
  const header = parseHeader(raw);
  if (header === undefined) throw new Error('malformed cache entry in Redis');
  const value = header.undefined ? (undefined as V) : serializer.deserialize(header.text);
  const age = Math.max(0, serverNow - header.written);
  const freshUntil = header.fresh < 0 ? Number.POSITIVE_INFINITY : localNow - age + header.fresh;
  return {
    value,
    failed: false,
    error: undefined,
    freshUntil,
    staleUntil: freshUntil + header.swr,
    errorUntil: freshUntil + header.sie,
    deltaMs: header.delta,
    tags: header.tags,
    fence: header.fence,
  };
}

interface Header {
  fence: number;
  written: number;
  fresh: number;
  swr: number;
  sie: number;
  delta: number;
  undefined: boolean;
  tags: readonly string[] | undefined;
  text: string;
}

// `fence|written|fresh|swr|sie|delta|undefined|tags\n<value>`: seven numbers, the tags (JSON,
// which may hold '|' but never a raw newline), then the value. What WRITE stores has integers
// only, read in one pass over the characters; anything else takes the general reading.
function parseHeader(raw: string): Header | undefined {
  return parseIntegers(raw) ?? parseLoosely(raw);
}

// Where the next field starts, after integerAt read one: module state, so reading a number
// returns the number alone (no pair to allocate per field).
let cursor = 0;

function parseIntegers(raw: string): Header | undefined {
  const fence = integerAt(raw, 0);
  const written = integerAt(raw, cursor);
  const fresh = integerAt(raw, cursor);
  const swr = integerAt(raw, cursor);
  const sie = integerAt(raw, cursor);
  const delta = integerAt(raw, cursor);
  const undefinedFlag = integerAt(raw, cursor);
  // NaN anywhere makes the sum NaN: not integers all through, so not for this reading.
  if (Number.isNaN(fence + written + fresh + swr + sie + delta + undefinedFlag)) return undefined;
  return withTags(raw, cursor, fence, written, fresh, swr, sie, delta, undefinedFlag);
}

// The integer (an optional '-', then 1 to 15 digits: exact as a double) at `from`, which must be
// followed by '|'; NaN otherwise. Leaves `cursor` after the '|'.
function integerAt(raw: string, from: number): number {
  let at = from;
  const negative = raw.charCodeAt(at) === MINUS;
  if (negative) at++;
  const digits = at;
  let n = 0;
  for (let c = raw.charCodeAt(at); c >= ZERO && c <= NINE; c = raw.charCodeAt(++at))
    n = n * 10 + (c - ZERO);
  if (at === digits || at - digits > 15 || raw.charCodeAt(at) !== BAR) return Number.NaN;
  cursor = at + 1;
  return negative ? -n : n;
}

const MINUS = 45;
const ZERO = 48;
const NINE = 57;
const BAR = 124;

// The general reading: seven fields as `Number()` reads them.
function parseLoosely(raw: string): Header | undefined {
  const end = raw.indexOf('\n');
  if (end < 0) return undefined;
  const numbers: number[] = [];
  let from = 0;
  for (let i = 0; i < 7; i++) {
    const bar = raw.indexOf('|', from);
    if (bar < 0 || bar > end) return undefined;
    numbers.push(Number(raw.slice(from, bar)));
    from = bar + 1;
  }
  if (numbers.some(Number.isNaN)) return undefined;
  const [fence, written, fresh, swr, sie, delta, undefinedFlag] = numbers as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return withTags(raw, from, fence, written, fresh, swr, sie, delta, undefinedFlag);
}

// The header whose numbers end at `from`: the tags up to the newline, and the value after it.
function withTags(
  raw: string,
  from: number,
  fence: number,
  written: number,
  fresh: number,
  swr: number,
  sie: number,
  delta: number,
  undefinedFlag: number,
): Header | undefined {
  const end = raw.indexOf('\n', from);
  if (end < 0) return undefined;
  let tags: readonly string[] | undefined;
  if (end > from) {
    try {
      tags = JSON.parse(raw.slice(from, end)) as string[];
    } catch {
      return undefined;
    }
  }
  return {
    fence,
    written,
    fresh,
    swr,
    sie,
    delta,
    undefined: undefinedFlag === 1,
    tags,
    text: raw.slice(end + 1),
  };
}
