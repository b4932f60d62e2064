/** Byte progress of one job, throttled so that rendering never paces hashing. */
export interface Progress {
  done: number;
  total: number;
  bytesPerSec: number;
  /** seconds left at the current rate; undefined until a rate is known */
  etaSeconds: number | undefined;
  /** bytes done per digest ("sha256", "md5", "blocks"), where they run at different speeds */
  parts?: Record<string, number>;
}

export const PROGRESS_INTERVAL_MS = 100;

export class ProgressMeter {
  private readonly started = performance.now();
  private lastEmit = 0;

  constructor(
    private readonly total: number,
    private readonly emit: ((p: Progress) => void) | undefined,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  /** Reports `done` bytes if the interval has passed (or `force`). */
  update(done: number, force = false, parts?: Record<string, number>): void {
    if (!this.emit) return;
    const now = performance.now();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    this.emit(parts ? { ...this.snapshot(done, now), parts } : this.snapshot(done, now));
  }

  snapshot(done: number, now = performance.now()): Progress {
    const seconds = (now - this.started) / 1000;
    const bytesPerSec = seconds > 0 ? done / seconds : 0;
    const left = Math.max(0, this.total - done);
    return {
      done,
      total: this.total,
      bytesPerSec,
      etaSeconds: bytesPerSec > 0 ? left / bytesPerSec : undefined,
    };
  }
}
