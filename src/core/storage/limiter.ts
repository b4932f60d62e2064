/**
 * At most `max` requests in flight to one location: many backups checked
 * at once share it, so a store is never sent more than it was asked to
 * bear, whatever the number of copies.
 */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** A place, held until the function it returns is called (for work that is not one promise, such as a stream). */
  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.active--;
      this.queue.shift()?.();
    };
  }
}
