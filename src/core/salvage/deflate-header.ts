/**
 * Finding where a deflate block starts, by trial: a dynamic-Huffman block
 * begins with a header (code lengths for its two codes, themselves coded)
 * whose rules almost no other bit position satisfies. After damage, the
 * next position that passes is where decoding can resume; the same search
 * places restart points in a content index. Decoding itself stays with
 * zlib: this only parses headers.
 */

/** Order in which the code-length code's lengths are sent (RFC 1951, 3.2.7). */
export const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** The bits at `bit` (least significant first), up to 24 of them; zeros past the end. */
function peek(data: Uint8Array, bit: number, count: number): number {
  const i = bit >>> 3;
  const word = (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
  return (word >>> (bit & 7)) & ((1 << count) - 1);
}

/** Whether lengths form a code zlib accepts: never over-full; complete, unless `single` allows one code of length 1. */
const perLength = new Uint16Array(16);

function acceptable(lengths: Uint8Array, from: number, count: number, maxBits: number, single: boolean): boolean {
  const per = perLength.fill(0, 0, maxBits + 1);
  let max = 0;
  for (let i = from; i < from + count; i++) {
    const l = lengths[i]!;
    per[l]!++;
    if (l > max) max = l;
  }
  if (max === 0) return single;
  let left = 1;
  for (let l = 1; l <= maxBits; l++) {
    left = left * 2 - per[l]!;
    if (left < 0) return false;
  }
  return left === 0 || (single && max === 1);
}

/** Reverses the low `n` bits: Huffman codes are sent most significant bit first. */
function reverse(code: number, n: number): number {
  let r = 0;
  for (let i = 0; i < n; i++) r = (r << 1) | ((code >>> i) & 1);
  return r;
}

const lengthsScratch = new Uint8Array(286 + 30);
const precode = new Uint8Array(19);
const table = new Uint16Array(128);
const countScratch = new Uint16Array(8);
/** The Kraft sums (in 1/128ths) of every four 3-bit code lengths, as they arrive (the first in the low bits). */
const KRAFT4 = Uint16Array.from({ length: 4096 }, (_, v) => [0, 3, 6, 9].reduce((n, s) => n + ((v >> s) & 7 ? 128 >> ((v >> s) & 7) : 0), 0));
const nextScratch = new Uint16Array(8);

/**
 * If a dynamic-Huffman block header starts at `bit` and every rule zlib
 * applies to it holds, the bit where its compressed data begins; else -1.
 */
export function dynamicHeaderAt(data: Uint8Array, bit: number): number {
  if ((peek(data, bit, 3) & 6) !== 4) return -1;
  const hlit = peek(data, bit + 3, 5) + 257;
  const hdist = peek(data, bit + 8, 5) + 1;
  if (hlit > 286 || hdist > 30) return -1;
  const hclen = peek(data, bit + 13, 4) + 4;
  let p = bit + 17;
  // The code-length code must be complete (zlib refuses it otherwise): its Kraft sum, in 1/128ths, is exactly 128.
  // Nearly every position fails here: the sum is looked up four lengths at a time first.
  let sum = 0;
  for (let k = 0; k + 4 <= hclen; k += 4) sum += KRAFT4[peek(data, p + k * 3, 12)]!;
  if (hclen & 3) sum += KRAFT4[peek(data, p + (hclen & ~3) * 3, (hclen & 3) * 3)]!;
  if (sum !== 128) return -1;
  let kraft = 0;
  let at = p >>> 3;
  let acc = (data[at++] ?? 0) >>> (p & 7);
  let held = 8 - (p & 7);
  for (let i = 0; i < hclen; i++) {
    if (held < 3) {
      acc |= (data[at++] ?? 0) << held;
      held += 8;
    }
    const l = acc & 7;
    acc >>>= 3;
    held -= 3;
    precode[CODE_LENGTH_ORDER[i]!] = l;
    if (l) kraft += 128 >>> l;
    if (kraft > 128) return -1; // over-subscribed: nothing read later can mend it
  }
  if (kraft !== 128) return -1;
  for (let i = hclen; i < 19; i++) precode[CODE_LENGTH_ORDER[i]!] = 0;
  p += hclen * 3;
  // A lookup of the next 7 bits (as they arrive) to symbol and length.
  const count = countScratch.fill(0);
  for (let s = 0; s < 19; s++) count[precode[s]!]!++;
  count[0] = 0;
  const next = nextScratch.fill(0);
  for (let l = 1, code = 0; l <= 7; l++) {
    code = (code + count[l - 1]!) << 1;
    next[l] = code;
  }
  for (let s = 0; s < 19; s++) {
    const l = precode[s]!;
    if (!l) continue;
    const r = reverse(next[l]!++, l);
    for (let fill = r; fill < 128; fill += 1 << l) table[fill] = s | (l << 8);
  }
  const total = hlit + hdist;
  for (let n = 0; n < total; ) {
    const entry = table[peek(data, p, 7)]!;
    const sym = entry & 0xff;
    p += entry >>> 8;
    if (sym < 16) {
      lengthsScratch[n++] = sym;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (sym === 16) {
      if (n === 0) return -1;
      value = lengthsScratch[n - 1]!;
      repeat = 3 + peek(data, p, 2);
      p += 2;
    } else if (sym === 17) {
      repeat = 3 + peek(data, p, 3);
      p += 3;
    } else {
      repeat = 11 + peek(data, p, 7);
      p += 7;
    }
    if (n + repeat > total) return -1;
    lengthsScratch.fill(value, n, n + repeat);
    n += repeat;
  }
  if (lengthsScratch[256] === 0) return -1;
  if (!acceptable(lengthsScratch, 0, hlit, 15, true)) return -1;
  if (!acceptable(lengthsScratch, hlit, hdist, 15, true)) return -1;
  return p;
}

/**
 * The first bit in [from, to) where a dynamic-Huffman block header passes
 * every check, or -1. A few in a million random positions pass; callers
 * confirm a find by decoding from it.
 */
export function findDynamicBlock(data: Uint8Array, from: number, to: number): number {
  // The cheap part inline, eight bit positions per byte loaded: BTYPE 2, HLIT ≤ 29, HDIST ≤ 29.
  for (let i = from >>> 3; i * 8 < to; i++) {
    const word = (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
    for (let k = i * 8 < from ? from & 7 : 0; k < 8; k++) {
      const w = word >>> k;
      if ((w & 6) !== 4 || ((w >>> 3) & 31) > 29 || ((w >>> 8) & 31) > 29) continue;
      const bit = i * 8 + k;
      if (bit >= to) return -1;
      if (dynamicHeaderAt(data, bit) >= 0) return bit;
    }
  }
  return -1;
}
