import type { PositionalReader } from './frame-points.js';
import type { Piece } from './pieces.js';

/**
 * bzip2 past damage, as bzip2recover does it: every block starts with a
 * 48-bit magic (the digits of pi) at any bit, and carries its own CRC, so
 * each block is found by its magic, wrapped into a stream of its own and
 * decoded and checked alone. A damaged block is lost; the next one is read.
 */

const BLOCK_MAGIC = 0x314159265359n;
const END_MAGIC = 0x177245385090n;
const SCAN = 8 * 1024 * 1024;

/** Byte patterns that must appear where a 48-bit magic starts at each bit shift: the bytes it fills whole. */
function patterns(magic: bigint): { shift: number; inner: Buffer; first: number; firstMask: number; last: number; lastMask: number }[] {
  const out = [];
  for (let shift = 0; shift < 8; shift++) {
    // The magic, placed `shift` bits into a 56-bit (7-byte) span, most significant bit first.
    const placed = magic << BigInt(8 - shift);
    const bytes = Buffer.alloc(7);
    for (let i = 0; i < 7; i++) bytes[i] = Number((placed >> BigInt(8 * (6 - i))) & 0xffn);
    const firstMask = 0xff >> shift;
    const lastMask = shift === 0 ? 0 : (0xff << (8 - shift)) & 0xff;
    out.push({ shift, inner: shift === 0 ? bytes.subarray(0, 6) : bytes.subarray(1, 6), first: bytes[0]!, firstMask, last: bytes[6]!, lastMask });
  }
  return out;
}

const BLOCK = patterns(BLOCK_MAGIC);
const END = patterns(END_MAGIC);

/** Bit offsets (from the file's first bit, most significant first) of every occurrence of a magic. */
async function findMagic(reader: PositionalReader, which: ReturnType<typeof patterns>): Promise<number[]> {
  const found = new Set<number>();
  for (let at = 0; at < reader.size; at += SCAN) {
    // Overlap so that a magic across the edge is seen whole.
    const chunk = await reader.bytes(at, SCAN + 8);
    for (const p of which) {
      for (let i = chunk.indexOf(p.inner); i >= 0; i = chunk.indexOf(p.inner, i + 1)) {
        const start = p.shift === 0 ? i : i - 1;
        if (start < 0 || start >= SCAN) continue;
        if (p.shift !== 0 && ((chunk[start]! & p.firstMask) !== (p.first & p.firstMask) || (chunk[start + 6]! & p.lastMask) !== (p.last & p.lastMask))) continue;
        found.add((at + start) * 8 + p.shift);
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

/** `bits` bits of `src` from bit `from`, written into `out` from bit `to` (most significant first). */
function copyBits(src: Buffer, from: number, bits: number, out: Buffer, to: number): void {
  for (let i = 0; i < bits; i++) {
    const s = from + i;
    const bit = (src[s >>> 3]! >> (7 - (s & 7))) & 1;
    const d = to + i;
    if (bit) out[d >>> 3] = out[d >>> 3]! | (0x80 >> (d & 7));
  }
}

/** Whole bytes of the span, shifted so that bit `from` of the file lands on bit 0. */
function aligned(span: Buffer, shift: number, bits: number): Buffer {
  const out = Buffer.alloc(Math.ceil(bits / 8));
  if (shift === 0) span.copy(out, 0, 0, out.length);
  else for (let i = 0; i < out.length; i++) out[i] = ((span[i]! << shift) | ((span[i + 1] ?? 0) >> (8 - shift))) & 0xff;
  // Bits past the block's end are not the block's.
  if (bits % 8) out[out.length - 1] = out[out.length - 1]! & ((0xff << (8 - (bits % 8))) & 0xff);
  return out;
}

/** `n` bits (at most 32) of `buf` from bit `bit`, most significant first. */
function bitsAt(buf: Buffer, bit: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 2 + ((buf[(bit + i) >>> 3]! >> (7 - ((bit + i) & 7))) & 1);
  return v;
}

/**
 * Consecutive blocks as a stream of their own: "BZh9", the blocks (each
 * with its magic, CRC and data), the end-of-stream magic, and the stream
 * CRC, made from the blocks' own CRCs as bzip2 makes it.
 */
export async function blocksAlone(reader: PositionalReader, blocks: Bzip2Block[]): Promise<Buffer> {
  const startBit = blocks[0]!.start;
  const bits = blocks.at(-1)!.end - startBit;
  const span = await reader.bytes(Math.floor(startBit / 8), Math.ceil(((startBit % 8) + bits) / 8) + 1);
  const body = aligned(span, startBit % 8, bits);
  let combined = 0;
  for (const b of blocks) combined = (((combined << 1) | (combined >>> 31)) ^ bitsAt(body, b.start - startBit + 48, 32)) >>> 0;
  const out = Buffer.alloc(Math.ceil((32 + bits + 80) / 8));
  out.write('BZh9', 0, 'latin1');
  body.copy(out, 4, 0, Math.floor(bits / 8));
  if (bits % 8) copyBits(body, Math.floor(bits / 8) * 8, bits % 8, out, 32 + Math.floor(bits / 8) * 8);
  const tail = Buffer.alloc(10);
  tail.writeUIntBE(Number(END_MAGIC), 0, 6);
  tail.writeUInt32BE(combined, 6);
  copyBits(tail, 0, 80, out, 32 + bits);
  return out;
}

export interface Bzip2Block {
  /** bit offsets in the file: the block's magic, and where the next block or the stream's end begins */
  start: number;
  end: number;
}

/** Every block of a bzip2 file (of every stream in it), by its magic. */
export async function bzip2Blocks(reader: PositionalReader): Promise<Bzip2Block[]> {
  const [starts, ends] = await Promise.all([findMagic(reader, BLOCK), findMagic(reader, END)]);
  const marks = [...starts.map((s) => ({ at: s, block: true })), ...ends.map((e) => ({ at: e, block: false }))].sort((a, b) => a.at - b.at);
  const out: Bzip2Block[] = [];
  marks.forEach((m, i) => {
    if (m.block) out.push({ start: m.at, end: marks[i + 1]?.at ?? reader.size * 8 });
  });
  return out;
}

/** What decoding one stream gives: its output, or why it failed. */
export type DecodeStream = (stream: Buffer) => AsyncGenerator<Piece, { problem?: string }>;

/** Blocks decoded together while all is well: one decoder for many blocks. */
const BATCH = 16;

/** The pieces a decoding gives, held rather than passed on, and its problem. */
async function held(run: AsyncGenerator<Piece, { problem?: string }>): Promise<{ pieces: Piece[]; problem?: string }> {
  const pieces: Piece[] = [];
  let next = await run.next();
  while (!next.done) {
    pieces.push(next.value);
    next = await run.next();
  }
  return { pieces, problem: next.value.problem };
}

/**
 * bzip2 past damage: blocks found by their magic are decoded in batches of
 * consecutive blocks, each batch as a stream of its own; a batch that fails
 * is decoded again block by block, so only the damaged block is lost and the
 * next is read from its magic. A batch's output is held until it is known
 * good, so nothing is passed on twice.
 */
export async function* bzip2Pieces(reader: PositionalReader, decode: DecodeStream): AsyncGenerator<Piece> {
  const blocks = await bzip2Blocks(reader);
  if (blocks.length === 0) {
    yield { kind: 'lost', from: 0, to: reader.size, why: 'bzip2: no block found (no block magic in the file)' };
    return;
  }
  // Consecutive blocks in batches; a stream's last block and the next stream's first are not consecutive.
  const batches: Bzip2Block[][] = [];
  for (let i = 0; i < blocks.length; ) {
    let j = i + 1;
    while (j < blocks.length && j - i < BATCH && blocks[j]!.start === blocks[j - 1]!.end) j++;
    batches.push(blocks.slice(i, j));
    i = j;
  }
  const start = (batch: Bzip2Block[]) => blocksAlone(reader, batch).then((stream) => held(decode(stream)));
  let lostBefore = false;
  // Two batches decode at once, each in its own process, one per core.
  const pending = batches.slice(0, 2).map(start);
  for (let k = 0; k < batches.length; k++) {
    const batch = batches[k]!;
    const whole = await pending.shift()!;
    if (k + 2 < batches.length) pending.push(start(batches[k + 2]!));
    if (!whole.problem) {
      if (lostBefore) yield { kind: 'resumed', compressed: Math.floor(batch[0]!.start / 8), how: 'at the next bzip2 block' };
      lostBefore = false;
      yield* whole.pieces;
      continue;
    }
    for (const b of batch) {
      const one = await held(decode(await blocksAlone(reader, [b])));
      if (lostBefore && !one.problem) yield { kind: 'resumed', compressed: Math.floor(b.start / 8), how: 'at the next bzip2 block' };
      // A damaged block's output is not passed on: its CRC failed, so none of it is known good.
      if (!one.problem) yield* one.pieces;
      else yield { kind: 'lost', from: Math.floor(b.start / 8), to: Math.ceil(b.end / 8), why: one.problem };
      lostBefore = one.problem !== undefined;
    }
  }
}
