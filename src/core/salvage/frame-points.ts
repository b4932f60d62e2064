import type { Compression } from '../archive/detect.js';
import type { BackupHandle } from '../storage/backup-handle.js';
import type { RestartPoint } from './deflate-points.js';

/**
 * Where a zstd or xz archive can be decoded from afresh: each zstd frame
 * (pzstd and `zstd --rsyncable` write many), each xz block (`xz -T`,
 * `--block-size`). Found from their headers and xz's own index, without
 * decompressing.
 */
export async function framePoints(handle: BackupHandle, size: number, compression: Compression): Promise<RestartPoint[] | undefined> {
  const reader = new PositionalReader(handle, size);
  if (compression === 'zstd') return (await zstdFrames(reader)).map(({ compressed, uncompressed }) => ({ compressed, ...(uncompressed === undefined ? {} : { uncompressed }) }));
  if (compression === 'xz') return (await xzBlocks(reader))?.map(({ compressed, uncompressed }) => ({ compressed, uncompressed }));
  return undefined;
}

/** Positional reads through a 256 KiB buffer. */
export class PositionalReader {
  private buf = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly handle: BackupHandle,
    readonly size: number,
  ) {}

  /** Up to `length` bytes at `position` (fewer at the end of the file). */
  async bytes(position: number, length: number): Promise<Buffer> {
    if (position < this.start || position + length > this.start + this.buf.length) {
      const want = Math.max(length, 256 * 1024);
      const buf = Buffer.alloc(Math.max(0, Math.min(want, this.size - position)));
      const { bytesRead } = await this.handle.read(buf, 0, buf.length, position);
      this.buf = buf.subarray(0, bytesRead);
      this.start = position;
    }
    return this.buf.subarray(position - this.start, position - this.start + length);
  }

  /** Bytes [from, to) in fresh buffers of up to `piece` bytes each, read straight into them. */
  async *range(from: number, to: number, piece = 1024 * 1024): AsyncGenerator<Buffer> {
    for (let at = from; at < to; ) {
      const buf = Buffer.allocUnsafe(Math.min(piece, to - at));
      const { bytesRead } = await this.handle.read(buf, 0, buf.length, at);
      if (!bytesRead) return;
      at += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  }
}

export const ZSTD_MAGIC = 0xfd2fb528;

export interface ZstdFrame {
  compressed: number;
  /** bytes of the frame, header to checksum */
  length: number;
  uncompressed?: number;
}

/** zstd's frames from `from`, walked by their block headers; stops where a header makes no sense. */
export async function zstdFrames(reader: PositionalReader, from = 0): Promise<ZstdFrame[]> {
  const frames: ZstdFrame[] = [];
  let at = from;
  let out: number | undefined = from === 0 ? 0 : undefined;
  while (at + 4 <= reader.size) {
    const magic = (await reader.bytes(at, 4)).readUInt32LE(0);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      at += 8 + (await reader.bytes(at + 4, 4)).readUInt32LE(0); // a skippable frame
      continue;
    }
    const frame = magic === ZSTD_MAGIC ? await zstdFrameAt(reader, at) : undefined;
    if (!frame) break;
    frames.push({ compressed: at, length: frame.length, ...(out === undefined ? {} : { uncompressed: out }) });
    out = out === undefined || frame.contentSize === undefined ? undefined : out + frame.contentSize;
    at += frame.length;
  }
  return frames;
}

/** The length and declared content size of the zstd frame at `at`, or undefined if it is not whole. */
export async function zstdFrameAt(reader: PositionalReader, at: number): Promise<{ length: number; contentSize?: number } | undefined> {
  const head = await reader.bytes(at, 18);
  if (head.length < 6 || head.readUInt32LE(0) !== ZSTD_MAGIC) return undefined;
  const fhd = head[4]!;
  if (fhd & 0x08) return undefined; // reserved bit
  const single = (fhd >> 5) & 1;
  const fcsBytes = [single, 2, 4, 8][fhd >> 6]!;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  let p = 5 + (single ? 0 : 1) + dictBytes;
  let contentSize: number | undefined;
  if (fcsBytes === 1) contentSize = head[p]!;
  else if (fcsBytes === 2) contentSize = head.readUInt16LE(p) + 256;
  else if (fcsBytes === 4) contentSize = head.readUInt32LE(p);
  else if (fcsBytes === 8) contentSize = Number(head.readBigUInt64LE(p));
  p += fcsBytes;
  for (;;) {
    const b = await reader.bytes(at + p, 3);
    if (b.length < 3) return undefined;
    const h = b[0]! | (b[1]! << 8) | (b[2]! << 16);
    const type = (h >> 1) & 3;
    if (type === 3) return undefined;
    p += 3 + (type === 1 ? 1 : h >>> 3);
    if (at + p > reader.size) return undefined;
    if (h & 1) break;
  }
  if (fhd & 0x04) p += 4; // content checksum
  return at + p <= reader.size ? { length: p, ...(contentSize === undefined ? {} : { contentSize }) } : undefined;
}

export interface XzBlock {
  compressed: number;
  /** block header to check, without padding */
  unpadded: number;
  /** where its output starts in the uncompressed stream */
  uncompressed: number;
  /** its uncompressed size */
  size: number;
  /** the check type of its stream (the stream flags' second byte) */
  check: number;
}

/** Reads a multibyte integer of xz's index; undefined if malformed. */
function varint(buf: Buffer, at: { p: number }): number | undefined {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    const b = buf[at.p++];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return value;
  }
  return undefined;
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/**
 * xz's blocks, from the index at the end of each stream (streams walked
 * back to front); undefined when an index cannot be read (then the end of
 * the file is damaged, and salvage looks for blocks by their headers).
 */
export async function xzBlocks(reader: PositionalReader): Promise<XzBlock[] | undefined> {
  const streams: Omit<XzBlock, 'uncompressed'>[][] = [];
  let end = reader.size;
  while (end > 0) {
    // Stream padding: zero bytes, four at a time.
    while (end >= 4 && (await reader.bytes(end - 4, 4)).readUInt32LE(0) === 0) end -= 4;
    if (end < 24) break;
    const footer = await reader.bytes(end - 12, 12);
    if (footer[10] !== 0x59 || footer[11] !== 0x5a) return undefined;
    const indexSize = (footer.readUInt32LE(4) + 1) * 4;
    const check = footer[9]!;
    const indexAt = end - 12 - indexSize;
    if (indexAt < 12) return undefined;
    const index = Buffer.from(await reader.bytes(indexAt, indexSize));
    const at = { p: 1 };
    const count = index[0] === 0 ? varint(index, at) : undefined;
    if (count === undefined) return undefined;
    const records: { unpadded: number; uncompressed: number }[] = [];
    for (let i = 0; i < count; i++) {
      const unpadded = varint(index, at);
      const uncompressed = varint(index, at);
      if (unpadded === undefined || uncompressed === undefined) return undefined;
      records.push({ unpadded, uncompressed });
    }
    const blocksBytes = records.reduce((n, r) => n + Math.ceil(r.unpadded / 4) * 4, 0);
    const streamStart = indexAt - blocksBytes - 12;
    if (streamStart < 0 || !(await reader.bytes(streamStart, 6)).equals(XZ_MAGIC)) return undefined;
    let p = streamStart + 12;
    streams.unshift(
      records.map((r) => {
        const block = { compressed: p, unpadded: r.unpadded, size: r.uncompressed, check };
        p += Math.ceil(r.unpadded / 4) * 4;
        return block;
      }),
    );
    end = streamStart;
  }
  if (end !== 0) return undefined;
  // Uncompressed offsets run on across streams.
  let out = 0;
  return streams.flat().map((b) => {
    const placed = { ...b, uncompressed: out };
    out += b.size;
    return placed;
  });
}
