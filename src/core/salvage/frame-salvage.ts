import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { decompress } from '../archive/decompress.js';
import type { Compression } from '../archive/detect.js';
import { ZSTD_MAGIC, xzBlocks, zstdFrameAt, type PositionalReader } from './frame-points.js';
import type { Piece } from './pieces.js';

const PIECE = 1024 * 1024;

/**
 * Decodes `input` as the deep check does (decompress: the system's program,
 * fed through a pipe): its output as data, then what the decoder said if it
 * failed, and how much input it had taken by then.
 */
export async function* decoded(input: Iterable<Buffer> | AsyncIterable<Buffer>, compression: Compression, file: string): AsyncGenerator<Piece, { problem?: string; consumed: number }> {
  const dec = await decompress(Readable.from(input), compression, file);
  try {
    for await (const bytes of dec.output as AsyncIterable<Buffer>) yield { kind: 'data', bytes };
  } catch {
    // judged below, from what the decoder said
  }
  await dec.finished;
  dec.rethrowReadError();
  return { problem: dec.problem(), consumed: dec.consumed() };
}

/** The next place at or after `from` where a whole zstd frame starts. */
async function nextFrame(reader: PositionalReader, from: number): Promise<number | undefined> {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(ZSTD_MAGIC);
  for (let at = from; at < reader.size; ) {
    const chunk = await reader.bytes(at, PIECE);
    for (let i = chunk.indexOf(magic); i >= 0; i = chunk.indexOf(magic, i + 1)) if (await zstdFrameAt(reader, at + i)) return at + i;
    if (chunk.length < PIECE) return undefined;
    at += chunk.length - 3;
  }
  return undefined;
}

/**
 * zstd, frame by frame: a damaged frame is lost from where zstd refuses
 * it, and decoding picks up at the next whole frame (pzstd and
 * `--rsyncable` write many; a single-frame archive ends at damage).
 */
export async function* zstdPieces(reader: PositionalReader, file: string): AsyncGenerator<Piece> {
  let at = 0;
  while (at < reader.size) {
    const frame = await zstdFrameAt(reader, at);
    const end = frame ? at + frame.length : ((await nextFrame(reader, at + 1)) ?? reader.size);
    const failed = (yield* decoded(reader.range(at, end), 'zstd', file)).problem;
    if (failed || !frame) {
      yield { kind: 'lost', from: at, to: end, why: failed ?? 'a zstd frame that does not hold together' };
      if (end >= reader.size) return;
      yield { kind: 'resumed', compressed: end, how: 'at the next zstd frame' };
    }
    at = end;
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A whole xz stream around one block, so that xz decodes and checks it alone. */
function xzStreamAround(block: Buffer, unpadded: number, size: number, check: number): Buffer[] {
  const flags = Buffer.from([0, check]);
  const crc = (b: Buffer) => {
    const c = Buffer.alloc(4);
    c.writeUInt32LE(crc32(b) >>> 0);
    return c;
  };
  const header = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), flags, crc(flags)]);
  const records = [0, ...varint(1), ...varint(unpadded), ...varint(size)];
  while (records.length % 4) records.push(0);
  const indexBody = Buffer.from(records);
  const index = Buffer.concat([indexBody, crc(indexBody)]);
  const tail = Buffer.alloc(6);
  tail.writeUInt32LE(index.length / 4 - 1, 0);
  flags.copy(tail, 4);
  const footer = Buffer.concat([crc(tail), tail, Buffer.from('YZ')]);
  return [header, block, index, footer];
}

/**
 * xz, block by block, as xz's own index lists them: each block is decoded
 * and checked alone, a damaged one is lost, and the next starts at its
 * known place. Without a readable index (the end is damaged), decoding runs
 * to the damage.
 */
export async function* xzPieces(reader: PositionalReader, file: string): AsyncGenerator<Piece> {
  const blocks = await xzBlocks(reader);
  if (!blocks) {
    yield { kind: 'warning', message: 'xz’s index at the end of the file cannot be read: the blocks after damage cannot be found' };
    return yield* streamPieces(reader, 'xz', file);
  }
  let lostBefore = false;
  for (const b of blocks) {
    const onDisk = Math.ceil(b.unpadded / 4) * 4;
    const block = Buffer.from(await reader.bytes(b.compressed, onDisk));
    if (lostBefore) yield { kind: 'resumed', compressed: b.compressed, uncompressed: b.uncompressed, how: 'at the next xz block' };
    const failed = (yield* decoded(xzStreamAround(block, b.unpadded, b.size, b.check), 'xz', file)).problem;
    lostBefore = failed !== undefined;
    if (failed) yield { kind: 'lost', from: b.compressed, to: b.compressed + onDisk, why: failed };
  }
}

/** Any other compression: decoded to the end or to the damage; nothing after damage can be found. */
export async function* streamPieces(reader: PositionalReader, compression: Compression, file: string): AsyncGenerator<Piece> {
  const { problem, consumed } = yield* decoded(reader.range(0, reader.size), compression, file);
  if (problem) yield { kind: 'lost', from: consumed, to: reader.size, why: `${problem}; ${compression} cannot be decoded past damage` };
}
