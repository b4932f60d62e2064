import { crc32, inflateRawSync } from 'node:zlib';
import { gzipHeaderLength } from '../archive/gunzip.js';
import { findDynamicBlock } from './deflate-header.js';
import { WINDOW, type RestartPoint } from './deflate-points.js';
import type { PositionalReader } from './frame-points.js';
import { InflateRun, type RunEnd } from './inflate-run.js';
import type { Piece } from './pieces.js';
import { PointCheck } from './point-check.js';

/**
 * The length of the gzip member header at `at`, or undefined if there is
 * none. Stricter than gunzip's (reserved flags must be clear): when looking
 * for the next member in damaged data, a chance 1f 8b 08 must not pass.
 */
async function gzipHeader(reader: PositionalReader, at: number): Promise<number | undefined> {
  for (let n = 4096; ; n *= 16) {
    const b = await reader.bytes(at, n);
    const r = gzipHeaderLength(b);
    if (typeof r === 'number') return b[3]! & 0xe0 ? undefined : r;
    if (r !== 'more' || b.length < n) return undefined;
  }
}

/** Output both decoders agree on for this long: the lost window no longer matters. */
const SETTLED = WINDOW;
/** A resume candidate must decode this far past the damage to be believed. */
const PROOF = 64 * 1024;

/**
 * Decoding from a block boundary whose window was lost: two zlib runs with
 * the window filled differently (0x00, 0xff). A byte of output that differs
 * between them was copied from the lost window; one they share is known.
 * Once they agree on a whole window's worth, they agree from then on, and
 * one run carries on alone.
 */
class PairedRun {
  private rest: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  private agreed = 0;
  private single = false;
  private constructor(private readonly runs: [InflateRun, InflateRun]) {}

  static async start(reader: PositionalReader, bit: number, stopByte?: number): Promise<PairedRun> {
    return new PairedRun([await InflateRun.start(reader, bit, Buffer.alloc(WINDOW, 0), stopByte), await InflateRun.start(reader, bit, Buffer.alloc(WINDOW, 0xff), stopByte)]);
  }

  async next(): Promise<{ bytes: Buffer; unknown?: Uint8Array } | RunEnd> {
    if (this.single) {
      const c = this.rest[0].length ? this.rest[0] : await this.runs[0].next();
      this.rest[0] = Buffer.alloc(0);
      return Buffer.isBuffer(c) ? { bytes: c } : c;
    }
    for (let i = 0; i < 2; i++) {
      while (!this.rest[i]!.length) {
        const c = await this.runs[i]!.next();
        if (!Buffer.isBuffer(c)) {
          this.stop();
          return c;
        }
        this.rest[i] = c;
      }
    }
    const n = Math.min(this.rest[0].length, this.rest[1].length);
    const [a, b] = [this.rest[0].subarray(0, n), this.rest[1].subarray(0, n)];
    this.rest = [this.rest[0].subarray(n), this.rest[1].subarray(n)];
    let unknown: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      if (a[i] === b[i]) this.agreed++;
      else {
        unknown ??= new Uint8Array(n);
        unknown[i] = 1;
        this.agreed = 0;
      }
    }
    if (this.agreed >= SETTLED) {
      this.single = true;
      this.runs[1].stop();
    }
    return unknown ? { bytes: a, unknown } : { bytes: a };
  }

  get inputAt(): number {
    return this.runs[0].inputAt;
  }

  stop(): void {
    for (const r of this.runs) r.stop();
  }
}

type Run = { next(): Promise<{ bytes: Buffer; unknown?: Uint8Array } | RunEnd>; stop(): void };

/** A run whose window is known, decoding on past restart points (the PointCheck checks its output at each). */
async function knownRun(reader: PositionalReader, bit: number, window: Uint8Array): Promise<Run> {
  const run = await InflateRun.start(reader, bit, window);
  return {
    async next() {
      const c = await run.next();
      return Buffer.isBuffer(c) ? { bytes: c } : c;
    },
    stop: () => run.stop(),
  };
}

const bitOf = (p: RestartPoint) => p.compressed * 8 + (p.bit ?? 0);
const windowOf = (p: RestartPoint) => (p.window ? inflateRawSync(Buffer.from(p.window, 'base64')) : Buffer.alloc(0));

/**
 * A gzip file's output, decoded past damage: after zlib refuses the data,
 * decoding picks up at the next deflate block that decodes (its lost window
 * tracked byte by byte), or at the next restart point of the content index,
 * whichever comes first; then at the next gzip member. Nothing is guessed:
 * a byte that depends on lost output is marked unknown.
 */
export async function* gzipPieces(reader: PositionalReader, points: RestartPoint[] = []): AsyncGenerator<Piece> {
  const deflatePoints = points.filter((p) => p.window !== undefined).sort((a, b) => bitOf(a) - bitOf(b));
  // The output position is known from the start, and again from each restart point decoding picks up at.
  const check = new PointCheck(deflatePoints, windowOf);
  check.at(0);
  let at = 0;
  while (at < reader.size) {
    const header = await gzipHeader(reader, at);
    if (header === undefined) {
      const next = await nextMember(reader, at + 1);
      yield { kind: 'lost', from: at, to: next ?? reader.size, why: at === 0 ? 'not gzip data' : next === undefined ? 'bytes after the last gzip member that are not gzip' : 'not gzip data between members' };
      if (next === undefined) return;
      yield { kind: 'resumed', compressed: next, how: 'at the next gzip member' };
      at = next;
      continue;
    }
    // One member: decode, and on damage pick up again, until its last block ends.
    let run = await knownRun(reader, (at + header) * 8, Buffer.alloc(0));
    /** where a run with a lost window is held back: the restart point decoding goes on from */
    let stop: RestartPoint | undefined;
    /** Decoding goes on from a restart point, with its window, its output's place known again. */
    const pickUpAt = async (p: RestartPoint): Promise<Piece> => {
      run = await knownRun(reader, bitOf(p), windowOf(p));
      stop = undefined;
      check.at(p.uncompressed, p);
      return { kind: 'resumed', compressed: p.compressed, uncompressed: p.uncompressed, how: 'at a restart point of the content index' };
    };
    let clean = true;
    let crc = 0;
    let size = 0;
    let end: RunEnd;
    for (;;) {
      let c = await run.next();
      let failed: RestartPoint | undefined;
      while ('bytes' in c) {
        const passed = c.unknown ? { bytes: c.bytes } : check.pass(c.bytes);
        if (clean) {
          crc = crc32(passed.bytes, crc);
          size += passed.bytes.length;
        }
        yield { kind: 'data', bytes: passed.bytes, ...(c.unknown ? { unknown: c.unknown } : {}) };
        if ((failed = passed.failed)) break;
        c = await run.next();
      }
      if (failed) {
        // The output before this restart point is not the index's: changed bytes zlib did not notice.
        run.stop();
        clean = false;
        yield { kind: 'warning', message: 'gzip: the output before a restart point differs from the window the content index stored there: bytes before it were changed without breaking the decoding', damage: { from: check.lastPassed?.compressed ?? at, to: failed.compressed } };
        yield await pickUpAt(failed);
        continue;
      }
      end = c as RunEnd;
      if (end.kind === 'end') break;
      if (end.kind === 'stopped' && stop) {
        // A run with a lost window reached the restart point it was held back at.
        yield await pickUpAt(stop);
        continue;
      }
      if (end.kind !== 'error') break;
      clean = false;
      check.at(undefined);
      yield { kind: 'lost', from: end.from, to: end.to, why: `gzip: ${end.message}` };
      const resumed = await resume(reader, end, deflatePoints);
      if (!resumed) break;
      if ('point' in resumed) yield await pickUpAt(resumed.point);
      else {
        ({ run, stop } = resumed);
        yield resumed.piece;
      }
    }
    if (end.kind !== 'end') {
      // The rest of this member is lost; a later member may still be whole.
      const next = await nextMember(reader, at + header + 1);
      if (next === undefined) return;
      yield { kind: 'resumed', compressed: next, how: 'at the next gzip member' };
      at = next;
      continue;
    }
    const trailer = await reader.bytes(end.next, 8);
    if (trailer.length < 8) yield { kind: 'lost', from: end.next, to: reader.size, why: 'gzip: the file ends inside a member trailer' };
    else if (clean && (trailer.readUInt32LE(0) !== crc >>> 0 || trailer.readUInt32LE(4) !== size % 2 ** 32))
      yield {
        kind: 'warning',
        message: `gzip: a member fails its ${trailer.readUInt32LE(0) !== crc >>> 0 ? 'CRC' : 'length check'}: bytes in it were changed without breaking the decoding, so its output is wrong from an unknown place on`,
        damage: { from: at, to: end.next + 8 },
      };
    at = end.next + 8;
  }
}

/**
 * The next place to decode from after damage in [end.from, end.to): the
 * first deflate block found by trial that decodes well past the damage
 * (before the next restart point), or that restart point.
 */
async function resume(reader: PositionalReader, end: Extract<RunEnd, { kind: 'error' }>, points: RestartPoint[]): Promise<{ run: Run; stop?: RestartPoint; piece: Piece } | { point: RestartPoint } | undefined> {
  const point = points.find((p) => p.compressed >= end.from);
  const limit = point ? bitOf(point) : reader.size * 8;
  const SPAN = 1024 * 1024;
  let from = end.from * 8 + 1;
  while (from < limit) {
    const base = Math.floor(from / 8);
    const piece = await reader.bytes(base, SPAN);
    const q = findDynamicBlock(piece, from - base * 8, Math.min(piece.length * 8, limit - base * 8));
    if (q < 0) {
      if (piece.length < SPAN) break;
      from = (base + piece.length - 64) * 8;
      continue;
    }
    const bit = base * 8 + q;
    const run = await proven(reader, bit, end.to + PROOF, point ? Math.ceil(limit / 8) : undefined);
    if (run) return { run, stop: point, piece: { kind: 'resumed', compressed: Math.floor(bit / 8), how: 'at the next deflate block, its window lost' } };
    from = bit + 1;
  }
  return point && { point };
}

/** A paired run from `bit`, if it decodes past byte `past` (or to its end) without an error; what it decoded so far is replayed. */
async function proven(reader: PositionalReader, bit: number, past: number, stopByte?: number): Promise<Run | undefined> {
  const run = await PairedRun.start(reader, bit, stopByte);
  const held: ({ bytes: Buffer; unknown?: Uint8Array } | RunEnd)[] = [];
  for (;;) {
    const c = await run.next();
    held.push(c);
    if (!('bytes' in c)) {
      if (c.kind !== 'error') break;
      run.stop();
      return undefined;
    }
    if (run.inputAt > past) break;
  }
  return {
    next: async () => held.shift() ?? run.next(),
    stop: () => run.stop(),
  };
}

/** The next gzip member header at or after `from`, if any. */
async function nextMember(reader: PositionalReader, from: number): Promise<number | undefined> {
  for (let at = from; at < reader.size; ) {
    const chunk = await reader.bytes(at, 1024 * 1024);
    for (let i = chunk.indexOf(0x1f); i >= 0; i = chunk.indexOf(0x1f, i + 1)) {
      if (chunk[i + 1] === 0x8b && chunk[i + 2] === 8 && (await gzipHeader(reader, at + i)) !== undefined) return at + i;
    }
    if (chunk.length < 1024 * 1024) return undefined;
    at += chunk.length - 16;
  }
  return undefined;
}
