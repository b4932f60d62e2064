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
function acceptable(lengths: Uint8Array, from: number, count: number, maxBits: number, single: boolean): boolean {
  const per = new Uint16Array(maxBits + 1);
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
  precode.fill(0);
  let p = bit + 17;
  for (let i = 0; i < hclen; i++, p += 3) precode[CODE_LENGTH_ORDER[i]!] = peek(data, p, 3);
  if (!acceptable(precode, 0, 19, 7, false)) return -1;
  // A lookup of the next 7 bits (as they arrive) to symbol and length.
  const count = new Uint16Array(8);
  for (let s = 0; s < 19; s++) count[precode[s]!]!++;
  count[0] = 0;
  const next = new Uint16Array(8);
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
  for (let bit = from; bit < to; bit++) {
    // The cheap part inline: BTYPE 2, HLIT ≤ 29, HDIST ≤ 29.
    const i = bit >>> 3;
    const word = ((data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16)) >>> (bit & 7);
    if ((word & 6) !== 4 || ((word >>> 3) & 31) > 29 || ((word >>> 8) & 31) > 29) continue;
    if (dynamicHeaderAt(data, bit) >= 0) return bit;
  }
  return -1;
}
