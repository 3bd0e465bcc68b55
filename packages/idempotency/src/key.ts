// The Idempotency-Key header. The draft makes it a Structured Field Item whose value is a String
// (RFC 9651 §3.3.3): `Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"`. Most clients send
// the UUID bare, which is not even a valid sf-token (a token cannot start with a digit), so a bare
// value is accepted unless `strict` is set.

/** The longest key accepted, in characters (Stripe's limit; the draft sets none). */
export const MAX_KEY_LENGTH = 255;

/** Why a header value is not a usable key. */
export type KeyProblem = 'missing' | 'malformed';

/**
 * The key in an `Idempotency-Key` field value, or the problem with it: `'missing'` when there is no
 * header, `'malformed'` when it is empty, longer than {@link MAX_KEY_LENGTH} characters, repeated,
 * or not a Structured Field String (nor, unless `strict`, a bare run of visible ASCII characters).
 * Parameters after the string are not accepted: the draft defines none.
 */
export function parseIdempotencyKey(
  value: string | readonly string[] | undefined,
  strict: boolean,
): string | KeyProblem {
  if (value === undefined) return 'missing';
  if (typeof value !== 'string') {
    // Two header lines would be one list-joined field; for an Item that is not valid.
    if (value.length !== 1) return 'malformed';
    value = value[0] as string;
  }
  const text = trimSpaces(value);
  const key = text.charCodeAt(0) === QUOTE ? parseSfString(text) : strict ? undefined : bare(text);
  if (key === undefined || key.length === 0 || key.length > MAX_KEY_LENGTH) return 'malformed';
  return key;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

// RFC 9651 §4.2: parsers strip leading and trailing SP from the field value.
function trimSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) === 0x20) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

// RFC 9651 §4.2.5: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE, unescaped being the
// printable ASCII characters %x20-21 / %x23-5B / %x5D-7E; the string must end the value.
function parseSfString(text: string): string | undefined {
  let out = '';
  let runStart = 1;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      const next = text.charCodeAt(i + 1);
      if (next !== QUOTE && next !== BACKSLASH) return undefined;
      out += text.slice(runStart, i);
      runStart = i + 1; // keep the escaped character, drop the backslash
      i++;
    } else if (c === QUOTE) {
      if (i !== text.length - 1) return undefined;
      return out + text.slice(runStart, i);
    } else if (c < 0x20 || c > 0x7e) {
      return undefined;
    }
  }
  return undefined; // no closing quote
}

// The lenient form: visible ASCII (%x21-7E) other than DQUOTE and backslash, no spaces inside.
function bare(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === QUOTE || c === BACKSLASH) return undefined;
  }
  return text;
}
