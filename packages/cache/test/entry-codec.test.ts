import fc from 'fast-check';
import { expect, it } from 'vitest';
import { freshEntry } from '../src/entry.js';
import { decodeEntry, encodeEntry } from '../src/redis/entry-codec.js';
import { jsonSerializer } from '../src/redis/serializer.js';

// What WRITE stores: the fence and the server's TIME, then what the client sent.
const stored = (fence: number, written: number, header: string, text: string) =>
  `${fence}|${written}|${header}\n${text}`;

it('an entry read back elsewhere keeps its windows, aged on the server clock', () => {
  fc.assert(
    fc.property(
      fc.jsonValue(),
      fc.integer({ min: 1, max: 10 ** 7 }),
      fc.nat(10 ** 6),
      fc.nat(10 ** 6),
      fc.nat(10 ** 5),
      fc.option(fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }), { nil: undefined }),
      fc.nat(10 ** 6),
      (value, ttl, swr, sie, age, tags, readerNow) => {
        const writerNow = 5_000;
        const entry = freshEntry(
          value,
          writerNow,
          ttl,
          { staleWhileRevalidateMs: swr, staleIfErrorMs: sie },
          7,
          tags,
        );
        const { header, text, keepMs } = encodeEntry(entry, writerNow, jsonSerializer);
        expect(keepMs).toBe(ttl + Math.max(swr, sie));
        const raw = stored(3, 1_700_000_000_000, header, text);
        const back = decodeEntry(raw, 1_700_000_000_000 + age, readerNow, jsonSerializer);
        expect(back.value).toEqual(JSON.parse(JSON.stringify(value)));
        expect(back.freshUntil).toBe(readerNow - age + ttl);
        expect(back.staleUntil - back.freshUntil).toBe(swr);
        expect(back.errorUntil - back.freshUntil).toBe(sie);
        expect(back).toMatchObject({ deltaMs: 7, fence: 3, failed: false });
        expect(back.tags).toEqual(tags);
      },
    ),
  );
});

it('forever, undefined values, tags holding the separator', () => {
  const entry = freshEntry(
    undefined,
    0,
    Number.POSITIVE_INFINITY,
    { staleWhileRevalidateMs: 5, staleIfErrorMs: 5 },
    0,
    ['a|b', 'c\nd'],
  );
  const { header, text, keepMs } = encodeEntry(entry, 0, jsonSerializer);
  expect(keepMs).toBe(-1);
  const back = decodeEntry(stored(1, 0, header, text), 10 ** 9, 0, jsonSerializer);
  expect(back.value).toBeUndefined();
  expect(back.freshUntil).toBe(Number.POSITIVE_INFINITY);
  expect(back.tags).toEqual(['a|b', 'c\nd']);
});

it('refuses malformed strings and serializers that do not return a string', () => {
  for (const raw of [
    '',
    'no header',
    '1|2|3\nx',
    'a|b|c|d|e|f|g|\nx',
    '1|2|3|4|5|6|7|{bad json\nx',
  ])
    expect(() => decodeEntry(raw, 0, 0, jsonSerializer)).toThrow();
  const entry = freshEntry(
    () => 1,
    0,
    10,
    { staleWhileRevalidateMs: 0, staleIfErrorMs: 0 },
    0,
    undefined,
  );
  expect(() => encodeEntry(entry, 0, jsonSerializer)).toThrow(
    'serializer.serialize must return a string',
  );
});

// What WRITE stores is read in one pass when its seven numbers are plain integers; any other
// field takes the general reading (`Number()` of each). Both must give the same entry.
it('reads plain integers in one pass, and any other number as Number() does', () => {
  const plain = fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }).map(String);
  const other = fc.oneof(
    fc.constantFrom('', '+5', '5.0', '1e3', ' 7', '0x1f', '-', '--1', '1-', 'Infinity', 'x'),
    fc.bigInt({ min: 10n ** 15n, max: 10n ** 18n }).map(String), // 16+ digits
    fc.integer({ min: 0, max: 999 }).map((n) => `000${n}`),
    fc.string({ maxLength: 4 }).filter((s) => !s.includes('|') && !s.includes('\n')),
  );
  const field = fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: other });
  fc.assert(
    fc.property(
      fc.array(field, { minLength: 7, maxLength: 7 }),
      fc.constantFrom('', '["a|b"]'),
      fc.nat(10 ** 6),
      fc.nat(10 ** 6),
      (fields, tags, serverNow, localNow) => {
        const raw = `${fields.join('|')}|${tags}\n"v"`;
        const numbers = fields.map(Number);
        if (numbers.some(Number.isNaN)) {
          expect(() => decodeEntry(raw, serverNow, localNow, jsonSerializer)).toThrow();
          return;
        }
        const [fence, written, fresh, swr, sie, delta, undefinedFlag] = numbers as number[];
        const back = decodeEntry(raw, serverNow, localNow, jsonSerializer);
        const freshUntil =
          fresh! < 0
            ? Number.POSITIVE_INFINITY
            : localNow - Math.max(0, serverNow - written!) + fresh!;
        expect(back.fence).toBe(fence);
        expect(back.freshUntil).toBe(freshUntil);
        expect(back.staleUntil).toBe(freshUntil + swr!);
        expect(back.errorUntil).toBe(freshUntil + sie!);
        expect(back.deltaMs).toBe(delta);
        expect(back.value).toBe(undefinedFlag === 1 ? undefined : 'v');
        expect(back.tags).toEqual(tags === '' ? undefined : ['a|b']);
      },
    ),
    { numRuns: 500 },
  );
});
