import type { Piece } from './pieces.js';

/**
 * The uncompressed stream as runs of contiguous output: a run ends where
 * output was lost. Bytes are taken with whether any of them is unknown.
 */
export class Runs {
  private held: { bytes: Buffer; unknown?: Uint8Array }[] = [];
  private heldBytes = 0;
  private lookahead: Piece | undefined;
  private done = false;
  /** the current run has ended (output was lost after it, or the input ended) */
  broken = false;
  /** where the next byte belongs in the uncompressed stream, when known */
  position: number | undefined = 0;

  constructor(
    private readonly source: AsyncIterator<Piece>,
    /** sees each piece that is not data: losses, resumptions, warnings */
    private readonly note: (p: Exclude<Piece, { kind: 'data' }>) => void,
  ) {}

  /** Fills the current run until `n` bytes are held or it ends; how many are held. */
  async fill(n: number): Promise<number> {
    while (this.heldBytes < n && !this.broken) {
      const p = this.lookahead ?? (this.done ? undefined : await this.pull());
      this.lookahead = undefined;
      if (!p) {
        this.broken = true;
        break;
      }
      if (p.kind === 'data') {
        if (p.bytes.length) {
          this.held.push(p);
          this.heldBytes += p.bytes.length;
        }
      } else if (p.kind === 'warning') this.note(p);
      else if (p.kind === 'resumed') {
        // Output goes on without a gap (a restart point): it only tells where it is.
        if (p.uncompressed !== undefined) this.position = p.uncompressed - this.heldBytes;
        this.note(p);
      } else {
        this.lookahead = p;
        this.broken = true;
      }
    }
    return Math.min(n, this.heldBytes);
  }

  private async pull(): Promise<Piece | undefined> {
    const r = await this.source.next();
    if (r.done) this.done = true;
    return r.done ? undefined : r.value;
  }

  /** Up to `n` held bytes (call fill first), and whether any is unknown. */
  take(n: number): { bytes: Buffer; unknown: boolean } {
    const parts: Buffer[] = [];
    let unknown = false;
    let got = 0;
    while (got < n && this.held.length) {
      const h = this.held[0]!;
      const k = Math.min(n - got, h.bytes.length);
      parts.push(h.bytes.subarray(0, k));
      if (h.unknown && h.unknown.subarray(0, k).includes(1)) unknown = true;
      if (k === h.bytes.length) this.held.shift();
      else this.held[0] = { bytes: h.bytes.subarray(k), ...(h.unknown ? { unknown: h.unknown.subarray(k) } : {}) };
      got += k;
    }
    this.heldBytes -= got;
    if (this.position !== undefined) this.position += got;
    return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts, got), unknown };
  }

  /** Up to `max` bytes from the first held piece (call fill first): a view, never a copy. */
  takeSome(max: number): { bytes: Buffer; unknown: boolean } {
    const first = this.held[0];
    return first ? this.take(Math.min(max, first.bytes.length)) : { bytes: Buffer.alloc(0), unknown: false };
  }

  /** `n` held bytes from `at` on (call fill first), without taking them. */
  peekAt(at: number, n: number): { bytes: Buffer; unknown: boolean } {
    const parts: Buffer[] = [];
    let unknown = false;
    let skip = at;
    let want = n;
    for (const h of this.held) {
      if (want === 0) break;
      if (skip >= h.bytes.length) {
        skip -= h.bytes.length;
        continue;
      }
      const k = Math.min(want, h.bytes.length - skip);
      parts.push(h.bytes.subarray(skip, skip + k));
      if (h.unknown?.subarray(skip, skip + k).includes(1)) unknown = true;
      want -= k;
      skip = 0;
    }
    return { bytes: Buffer.concat(parts), unknown };
  }

  /** Drops `n` held bytes (looking for a header). */
  skip(n: number): void {
    this.take(n);
  }

  /** Reads the rest of the input, for what the decoder has still to say (a trailer's CRC, a loss). */
  async drain(): Promise<void> {
    for (;;) {
      while ((await this.fill(1024 * 1024)) > 0) this.take(1024 * 1024);
      if (!(await this.nextRun())) return;
    }
  }

  /** After a break: on to the next run; false when the input has ended. */
  async nextRun(): Promise<boolean> {
    this.held = [];
    this.heldBytes = 0;
    this.position = undefined;
    for (;;) {
      const p = this.lookahead ?? (this.done ? undefined : await this.pull());
      this.lookahead = undefined;
      if (!p) return false;
      if (p.kind === 'data') {
        this.lookahead = p;
        this.broken = false;
        return true;
      }
      if (p.kind === 'resumed') this.position = p.uncompressed;
      this.note(p);
    }
  }
}
