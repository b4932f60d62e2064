import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import type { InflateObserver } from '../archive/gunzip.js';
import { leadIn } from './bit-start.js';
import { findDynamicBlock } from './deflate-header.js';

/**
 * A place decoding can start from without what came before it: a deflate
 * block boundary with the 32 KiB of output before it, a zstd frame, an xz
 * block. Stored in the content index, so that salvage loses at most what
 * lies between damage and the next point.
 */
export interface RestartPoint {
  /** byte of the compressed file the block or frame starts in */
  compressed: number;
  /** deflate: the bit within that byte (0, the lowest, when absent) */
  bit?: number;
  /** byte of the uncompressed stream where its output starts, when known */
  uncompressed?: number;
  /** deflate: the 32 KiB of output before it (fewer at the start), deflated, in base64 */
  window?: string;
}

export const WINDOW = 32 * 1024;
/** The stored windows stay under 2% of the archive: a point at most every 50 windows' worth of input. */
const SHARE = 50;
const MIN_SPACING = 256 * 1024;
/** Compressed bytes a candidate must leave in its chunk, for the trial that confirms it. */
const TRIAL_INPUT = 8 * 1024;
/** Output compared with the archive's to confirm a candidate. */
const FOLLOW = 16 * 1024;

interface Candidate {
  bit: number;
  /** compressed bytes from the one holding `bit` */
  input: Buffer;
  produced?: number;
}

/**
 * Places deflate restart points while a gzip stream is decoded once: at
 * every spacing, the next block header in the input is found by trial
 * (findDynamicBlock), zlib is paused there to learn the output count, the
 * window is taken from the output, and the point is kept only if decoding
 * from it with that window gives the archive's next bytes.
 */
export class DeflatePointMaker implements InflateObserver {
  readonly points: RestartPoint[] = [];
  private nextAt = MIN_SPACING;
  private candidate: Candidate | undefined;
  /** recent output, and the uncompressed offset of its first byte */
  private recent: Buffer[] = [];
  private recentStart = 0;
  private position = 0;

  cut(chunk: Buffer, offset: number): number | undefined {
    if (this.candidate) return undefined;
    const from = Math.max(0, this.nextAt - offset);
    const to = chunk.length - TRIAL_INPUT;
    if (to <= from) return undefined;
    const bit = findDynamicBlock(chunk, from * 8, to * 8);
    if (bit < 0) {
      this.nextAt = offset + to;
      return undefined;
    }
    this.candidate = { bit: offset * 8 + bit, input: Buffer.from(chunk.subarray(bit >>> 3, (bit >>> 3) + TRIAL_INPUT)) };
    return Math.ceil(bit / 8);
  }

  reached(_offset: number, produced: number): void {
    if (this.candidate) this.candidate.produced = produced;
  }

  /** Each piece of output, in order. */
  observe(chunk: Buffer): void {
    this.recent.push(chunk);
    this.position += chunk.length;
    const c = this.candidate;
    if (c?.produced !== undefined && this.position >= c.produced + FOLLOW) this.settle();
    // Keep what a pending candidate's window and check need, else the last window.
    const keepFrom = (c?.produced ?? this.position) - WINDOW;
    while (this.recent.length > 1 && this.recentStart + this.recent[0]!.length <= keepFrom) this.recentStart += this.recent.shift()!.length;
  }

  /** At the end of the stream: a candidate still waiting is judged on what followed it. */
  finish(): RestartPoint[] {
    if (this.candidate?.produced !== undefined) this.settle();
    this.candidate = undefined;
    return this.points;
  }

  private settle(): void {
    const c = this.candidate!;
    this.candidate = undefined;
    const u = c.produced!;
    const held = Buffer.concat(this.recent);
    const window = held.subarray(Math.max(0, u - WINDOW - this.recentStart), u - this.recentStart);
    const after = held.subarray(u - this.recentStart, u - this.recentStart + FOLLOW);
    const point = { compressed: Math.floor(c.bit / 8), ...(c.bit % 8 ? { bit: c.bit % 8 } : {}), uncompressed: u };
    if (!after.length || !sameStart(inflateFrom(c.input, c.bit % 8, window), after)) {
      // Not a block boundary after all (or nothing after it): look again just past it.
      this.nextAt = point.compressed + 1;
      return;
    }
    const stored = deflateRawSync(window, { level: 9 }).toString('base64');
    this.points.push({ ...point, window: stored });
    this.nextAt = point.compressed + Math.max(MIN_SPACING, stored.length * SHARE);
  }
}

/** Decodes what `input` holds from bit `bit` of its first byte, with `window` before it; what came out before any error. */
export function inflateFrom(input: Buffer, bit: number, window: Uint8Array): Buffer {
  const fed = Buffer.concat([leadIn(bit, input[0]!), input.subarray(1)]);
  try {
    return inflateRawSync(fed, { ...(window.length ? { dictionary: window } : {}), finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

function sameStart(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length);
  return n >= Math.min(1024, b.length) && a.subarray(0, n).equals(b.subarray(0, n));
}
