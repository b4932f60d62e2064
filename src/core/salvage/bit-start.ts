/**
 * Starting zlib at any bit of a deflate stream. zlib (and so node:zlib)
 * reads whole bytes and cannot be told to skip bits, but it can be given a
 * window (`dictionary`) and any valid deflate data first. So the stream is
 * led in by empty blocks whose length in bits makes the real data's first
 * bit fall where it belongs: the lead's last bits share a byte with it.
 * Empty blocks add no output and leave the window as it was.
 */

import { CODE_LENGTH_ORDER } from './deflate-header.js';

/** Bits, least significant first, as deflate packs them. */
class Bits {
  readonly out: number[] = [];
  value(v: number, n: number): void {
    for (let i = 0; i < n; i++) this.out.push((v >>> i) & 1);
  }
  /** A Huffman code: most significant bit first. */
  code(c: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.out.push((c >>> i) & 1);
  }
}

/**
 * A non-final dynamic block with no data. Its code-length code has four
 * 2-bit codes (0, 1, 17, 18); `sent` is 18 or 19 lengths of it (3 bits
 * each) and `singles` the zero lengths sent one by one (2 bits each), so its
 * length can be tuned a bit at a time: 96 + 2·singles + 3·(sent − 18).
 */
function emptyBlock(sent: number, singles: number): number[] {
  const b = new Bits();
  b.value(0, 1); // not the last block
  b.value(2, 2); // dynamic Huffman
  b.value(0, 5); // 257 literal/length codes
  b.value(0, 5); // 1 distance code
  b.value(sent - 4, 4);
  const code: Record<number, number> = { 0: 0, 1: 1, 17: 2, 18: 3 };
  for (let i = 0; i < sent; i++) b.value(code[CODE_LENGTH_ORDER[i]!] === undefined ? 0 : 2, 3);
  b.code(code[1]!, 2); // literal 0: length 1
  for (let i = 0; i < singles; i++) b.code(code[0]!, 2);
  const zeros = 255 - singles; // literals 1..255 unused
  b.code(code[18]!, 2);
  b.value(138 - 11, 7);
  b.code(code[18]!, 2);
  b.value(zeros - 138 - 11, 7);
  b.code(code[1]!, 2); // end of block: length 1
  b.code(code[0]!, 2); // the one distance code: unused
  b.code(1, 1); // end of block (literal 0 is code 0, end of block code 1)
  return b.out;
}

/** For each bit offset within a byte (1..7), a lead whose length leaves that many bits over. */
const LEADS: number[][] = [];
for (const sent of [18, 19]) {
  for (let singles = 0; singles < 4; singles++) {
    const bits = emptyBlock(sent, singles);
    LEADS[bits.length % 8] ??= bits;
  }
}

/**
 * What to give zlib in place of the byte holding bit `bit` of a deflate
 * stream (`byteThere`), before the bytes after it, so that it begins
 * decoding at that bit (bit 0 being the lowest of its byte): the lead, whose
 * last byte is `byteThere` with its low bits replaced by the lead's.
 */
export function leadIn(bit: number, byteThere: number): Buffer {
  const shift = bit % 8;
  if (shift === 0) return Buffer.from([byteThere]);
  const bits = LEADS[shift]!;
  const whole = (bits.length - shift) / 8;
  const lead = Buffer.alloc(whole + 1);
  bits.forEach((b, i) => (lead[i >>> 3]! |= b << (i & 7)));
  lead[whole] = (lead[whole]! & ((1 << shift) - 1)) | (byteThere & ~((1 << shift) - 1) & 0xff);
  return lead;
}
