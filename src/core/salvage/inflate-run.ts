import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { leadIn } from './bit-start.js';
import type { PositionalReader } from './frame-points.js';

/** How a run of deflate decoding ended. */
export type RunEnd =
  /** the last block ended; the gzip trailer starts at `next` */
  | { kind: 'end'; next: number }
  /** zlib refused the data somewhere in [from, to) of the file */
  | { kind: 'error'; from: number; to: number; message: string }
  /** the input given (up to a restart point) is used up */
  | { kind: 'stopped' };

/** Large pieces each way: fewer buffers to make and collect (most of salvage's garbage collection). */
const INPUT_PIECE = 256 * 1024;
const OUTPUT_PIECE = 256 * 1024;

/**
 * zlib decoding a deflate stream from any bit of a file (led in by
 * bit-start), with `window` as the output before it, until the stream ends,
 * zlib refuses the data, or `stopByte` (input after it is not given).
 */
export class InflateRun {
  private readonly zlib: InflateRaw;
  private readonly lead: Buffer;
  private readonly queue: Buffer[] = [];
  private finished: RunEnd | undefined;
  private wake: (() => void) | undefined;
  /** file bytes given to zlib, and where the piece being decoded starts */
  private given: number;
  private pieceStart: number;

  private constructor(
    private readonly reader: PositionalReader,
    private readonly startByte: number,
    window: Uint8Array,
    private readonly stopByte: number,
    firstByte: number,
    bit: number,
  ) {
    this.lead = leadIn(bit, firstByte);
    this.given = startByte + 1;
    this.pieceStart = startByte;
    this.zlib = createInflateRaw({ chunkSize: OUTPUT_PIECE, ...(window.length ? { dictionary: window } : {}) });
    this.zlib.on('data', (c: Buffer) => {
      this.queue.push(c);
      if (this.queue.length >= 8) this.zlib.pause();
      this.notify();
    });
    this.zlib.on('end', () => this.settle({ kind: 'end', next: this.startByte + 1 + this.zlib.bytesWritten - this.lead.length }));
    this.zlib.on('error', (e: Error) => {
      // Input held back at a restart point: zlib misses the rest, as planned.
      const held = this.given >= this.stopByte && this.stopByte < this.reader.size;
      // zlib counts the input it has used: the damage lies past it, in the piece being decoded.
      const used = this.startByte + 1 + this.zlib.bytesWritten - this.lead.length;
      this.settle(held ? { kind: 'stopped' } : { kind: 'error', from: Math.max(this.pieceStart, Math.min(used, this.given - 1)), to: this.given, message: e.message });
    });
    this.gone = new Promise((done) => this.zlib.once('close', done));
  }

  /** settles when zlib is closed (ended, failed or stopped) */
  private readonly gone: Promise<unknown>;

  /** Starts decoding at bit `bit` of the file (counted from its first byte). */
  static async start(reader: PositionalReader, bit: number, window: Uint8Array, stopByte = reader.size): Promise<InflateRun> {
    const byte = Math.floor(bit / 8);
    const first = (await reader.bytes(byte, 1))[0] ?? 0;
    const run = new InflateRun(reader, byte, window, stopByte, first, bit % 8);
    void run.pump();
    return run;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private settle(end: RunEnd): void {
    this.finished ??= end;
    this.notify();
  }

  private async pump(): Promise<void> {
    try {
      await this.write(this.lead);
      const pieces = this.reader.range(this.given, this.stopByte, INPUT_PIECE);
      // The next piece is read from disk while zlib decodes this one.
      let next = pieces.next();
      for (;;) {
        const r = await next;
        if (r.done || this.finished) break;
        next = pieces.next();
        this.pieceStart = this.given;
        this.given += r.value.length;
        await this.write(r.value);
      }
      if (!this.finished) this.zlib.end();
    } catch (err) {
      this.settle({ kind: 'error', from: this.pieceStart, to: this.given, message: (err as Error).message });
    }
  }

  private write(piece: Buffer): Promise<void> {
    if (this.finished) return Promise.resolve();
    return Promise.race([new Promise<void>((done) => this.zlib.write(piece, () => done())), this.gone.then(() => undefined)]);
  }

  /** File bytes given to zlib so far: it has decoded, or is decoding, all before. */
  get inputAt(): number {
    return this.given;
  }

  /** The next piece of output, or how the run ended. */
  async next(): Promise<Buffer | RunEnd> {
    for (;;) {
      const c = this.queue.shift();
      if (c) return c;
      if (this.finished) return this.finished;
      this.zlib.resume();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.queue.length || this.finished) this.notify();
      });
    }
  }

  stop(): void {
    this.settle({ kind: 'stopped' });
    this.zlib.destroy();
  }
}
