import type { RestartPoint } from './deflate-points.js';

/**
 * Follows where a decoding is in the uncompressed stream and, as it passes
 * each restart point of the content index, compares the output before the
 * point with the window the index stored there. A match means the decoding
 * is right up to the point and goes on as it is; a mismatch means bytes
 * before it were changed without zlib noticing, and decoding must start
 * again from the point. So healthy data is decoded in one run, and damage
 * zlib cannot see still ends at the next restart point.
 */
export class PointCheck {
  private recent: Buffer[] = [];
  private recentBytes = 0;
  /** the output position, or undefined while it is not known (after a loss) */
  private position: number | undefined;

  private readonly points: (RestartPoint & { uncompressed: number })[];
  /** the last restart point the output was found right at (the damage a mismatch reveals lies after it) */
  lastPassed?: RestartPoint;

  constructor(
    points: RestartPoint[],
    private readonly windowOf: (p: RestartPoint) => Buffer,
  ) {
    this.points = points.filter((p): p is RestartPoint & { uncompressed: number } => p.window !== undefined && p.uncompressed !== undefined).sort((a, b) => a.uncompressed - b.uncompressed);
  }

  /** Output from here on belongs at `position` (a member's start, a restart point), or nowhere known. */
  at(position: number | undefined, point?: RestartPoint): void {
    this.position = position;
    this.lastPassed = point;
    this.recent = [];
    this.recentBytes = 0;
  }

  /**
   * Takes the next output of a decoding. Returns the bytes that may be
   * passed on, and the restart point whose window the output before it
   * failed to match, if any (the bytes returned then end at that point).
   */
  pass(bytes: Buffer): { bytes: Buffer; failed?: RestartPoint } {
    if (this.position === undefined) return { bytes };
    const from = this.position;
    for (const p of this.pointsIn(from, from + bytes.length)) {
      const cut = p.uncompressed - from;
      const window = this.windowOf(p);
      if (!this.tail(bytes.subarray(0, cut), window.length).equals(window)) {
        this.keep(bytes.subarray(0, cut));
        return { bytes: bytes.subarray(0, cut), failed: p };
      }
      this.lastPassed = p;
    }
    this.keep(bytes);
    return { bytes };
  }

  /** Restart points strictly after `from`, up to and including `to`. */
  private pointsIn(from: number, to: number): (RestartPoint & { uncompressed: number })[] {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid]!.uncompressed <= from) lo = mid + 1;
      else hi = mid;
    }
    const out: (RestartPoint & { uncompressed: number })[] = [];
    for (let i = lo; i < this.points.length && this.points[i]!.uncompressed <= to; i++) out.push(this.points[i]!);
    return out;
  }

  /** The last `n` bytes of the output so far followed by `more`. */
  private tail(more: Buffer, n: number): Buffer {
    if (more.length >= n) return more.subarray(more.length - n);
    const all = Buffer.concat([...this.recent, more]);
    return all.subarray(Math.max(0, all.length - n));
  }

  private keep(bytes: Buffer): void {
    this.position! += bytes.length;
    this.recent.push(bytes);
    this.recentBytes += bytes.length;
    // Enough to hold one window before any point.
    while (this.recent.length > 1 && this.recentBytes - this.recent[0]!.length >= 64 * 1024) this.recentBytes -= this.recent.shift()!.length;
  }
}
