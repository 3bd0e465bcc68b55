// MD5 (RFC 1321), only for ketama compatibility: libketama places points and hashes keys with
// it. Written out here rather than calling node:crypto because ketama keys are short and a call
// into OpenSSL (plus a Buffer per digest) costs more than the hash itself; this version keeps
// the digest in four numbers and allocates nothing once its scratch buffer has grown.
//
// Not for security: MD5 is broken as a cryptographic hash. Ketama only needs its spread.
import type { HashKey } from './hash.js';

/** Per-step left-rotation amounts, 4 per round, repeated 4 times. */
const SHIFTS = new Int32Array([7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]);

/** K[i] = floor(|sin(i + 1)| × 2^32), as the RFC defines it. */
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

const encoder = new TextEncoder();
let scratch = new Uint8Array(128);
const block = new Int32Array(16);

/**
 * The MD5 digest of a key as four 32-bit words: word j is bytes 4j..4j+3 of the digest, read
 * little-endian (so word 0 is ketama's key hash).
 */
export const md5Words = new Uint32Array(4);

/** Computes MD5 of a string's UTF-8 bytes, or of bytes, into {@link md5Words}. */
export function md5(key: HashKey): void {
  const length = typeof key === 'string' ? encodeKey(key) : copyKey(key);
  // Padding: 0x80, zeros up to 56 mod 64, then the bit length as a 64-bit little-endian number.
  const padded = (((length + 8) >>> 6) + 1) << 6;
  scratch.fill(0, length, padded);
  scratch[length] = 0x80;
  const bits = length * 8;
  scratch[padded - 8] = bits & 0xff;
  scratch[padded - 7] = (bits >>> 8) & 0xff;
  scratch[padded - 6] = (bits >>> 16) & 0xff;
  scratch[padded - 5] = (bits >>> 24) & 0xff;
  const high = Math.floor(bits / 2 ** 32);
  scratch[padded - 4] = high & 0xff;
  scratch[padded - 3] = (high >>> 8) & 0xff;
  scratch[padded - 2] = (high >>> 16) & 0xff;
  scratch[padded - 1] = (high >>> 24) & 0xff;

  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let offset = 0; offset < padded; offset += 64) {
    for (let w = 0; w < 16; w++) {
      const at = offset + w * 4;
      block[w] =
        scratch[at]! |
        (scratch[at + 1]! << 8) |
        (scratch[at + 2]! << 16) |
        (scratch[at + 3]! << 24);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    // The four rounds differ in their mixing function and in the order they read the words.
    for (let i = 0; i < 16; i++) {
      const f = (((b & c) | (~b & d)) + a + K[i]! + block[i]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotate(f, SHIFTS[i & 3]!)) | 0;
    }
    for (let i = 16; i < 32; i++) {
      const f = (((d & b) | (~d & c)) + a + K[i]! + block[(5 * i + 1) & 15]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotate(f, SHIFTS[4 + (i & 3)]!)) | 0;
    }
    for (let i = 32; i < 48; i++) {
      const f = ((b ^ c ^ d) + a + K[i]! + block[(3 * i + 5) & 15]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotate(f, SHIFTS[8 + (i & 3)]!)) | 0;
    }
    for (let i = 48; i < 64; i++) {
      const f = ((c ^ (b | ~d)) + a + K[i]! + block[(7 * i) & 15]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotate(f, SHIFTS[12 + (i & 3)]!)) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  md5Words[0] = a0;
  md5Words[1] = b0;
  md5Words[2] = c0;
  md5Words[3] = d0;
}

function rotate(x: number, shift: number): number {
  return (x << shift) | (x >>> (32 - shift));
}

function ensureScratch(length: number): void {
  // Room for the key, the 0x80 byte, the length and a whole extra block of padding.
  if (scratch.length < length + 72) scratch = new Uint8Array((length + 72) * 2);
}

function copyKey(bytes: Uint8Array): number {
  ensureScratch(bytes.length);
  scratch.set(bytes);
  return bytes.length;
}

// ASCII strings are copied char by char; anything else goes through TextEncoder.
function encodeKey(s: string): number {
  const length = s.length;
  ensureScratch(length * 3);
  for (let i = 0; i < length; i++) {
    const code = s.charCodeAt(i);
    if (code > 0x7f) return encoder.encodeInto(s, scratch).written;
    scratch[i] = code;
  }
  return length;
}
