import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey } from '../src/index.js';

// RFC 9651 §4.1.6: a String serialises as DQUOTE, each character with `"` and `\` escaped, DQUOTE.
const serialise = (text: string) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
const printable = fc
  .array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 255 })
  .map((codes) => String.fromCharCode(...codes));

describe('parseIdempotencyKey', () => {
  it('parses a Structured Field String, escapes included', () => {
    expect(parseIdempotencyKey('"abc"', true)).toBe('abc');
    expect(parseIdempotencyKey('  "a b"  ', true)).toBe('a b');
    expect(parseIdempotencyKey('"say \\"hi\\" \\\\ ok"', true)).toBe('say "hi" \\ ok');
  });

  it('round-trips every printable string of 1 to 255 characters', () => {
    fc.assert(
      fc.property(printable, (text) => {
        expect(parseIdempotencyKey(serialise(text), true)).toBe(text);
      }),
    );
  });

  it('accepts a bare UUID unless strict', () => {
    const uuid = '8e03978e-40d5-43e8-bc93-6894a57f9324';
    expect(parseIdempotencyKey(uuid, false)).toBe(uuid);
    expect(parseIdempotencyKey(uuid, true)).toBe('malformed');
    expect(parseIdempotencyKey([uuid], false)).toBe(uuid);
  });

  it('refuses what is not a key', () => {
    for (const value of [
      '""',
      '',
      '   ',
      `"${'k'.repeat(256)}"`,
      'k'.repeat(256),
      '"open',
      '"a"b"',
      '"a";p=1',
      '"bad \\n escape"',
      '"tab\there"',
      '"é"',
      'two words',
      'ba"re',
    ])
      expect(parseIdempotencyKey(value, false), JSON.stringify(value)).toBe('malformed');
    expect(parseIdempotencyKey(['"a"', '"b"'], false)).toBe('malformed');
    expect(parseIdempotencyKey(undefined, false)).toBe('missing');
  });

  it('never throws, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.boolean(), (value, strict) => {
        const key = parseIdempotencyKey(value, strict);
        expect(typeof key).toBe('string');
      }),
    );
  });
});
