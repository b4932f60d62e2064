import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { onAbort, throwIfAborted } from '../errors.js';
import type { FromWorker, ToWorker } from './protocol.js';

/**
 * The bundled worker script, dist/worker.js. This module runs from a chunk
 * in dist/chunks/, or from src/core/hash/ under the test runner (worker
 * threads need the built JavaScript there too).
 */
function workerScript(): URL {
  const candidates = [new URL('../worker.js', import.meta.url), new URL('../../../dist/worker.js', import.meta.url)];
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (!found) throw new Error(`hash worker not built: ${fileURLToPath(candidates[1]!)} is missing (run npm run build)`);
  return found;
}

type Listener = (msg: FromWorker) => void;

/** One worker thread, routing its messages to the job that is using it. */
export class HashWorker {
  private readonly listeners = new Map<number, Listener>();
  private failure: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (msg: FromWorker) => this.listeners.get(msg.job)?.(msg));
    const fail = (err: Error) => {
      this.failure = err;
      for (const [job, listener] of this.listeners) listener({ type: 'error', job, message: err.message });
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`hash worker exited unexpectedly (code ${code})`)));
  }

  /** Marks this worker unusable; the pool terminates it on release. */
  discard(): void {
    this.failure ??= new Error('hash worker discarded');
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  listen(job: number, listener: Listener): void {
    if (this.failure) queueMicrotask(() => listener({ type: 'error', job, message: this.failure!.message }));
    this.listeners.set(job, listener);
  }

  unlisten(job: number): void {
    this.listeners.delete(job);
  }

  /** Idle workers never keep the process alive; busy ones do. */
  hold(busy: boolean): void {
    if (busy) this.worker.ref();
    else this.worker.unref();
  }

  send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  terminate(): Promise<number> {
    this.worker.removeAllListeners('exit');
    return this.worker.terminate();
  }
}

/** A hash thread started by bin/restorable.js before the program loaded: the first one a pool spawns. */
let earlyWorker: (Worker & { failedEarly?: boolean }) | undefined;
export function adoptEarlyWorker(worker: Worker): void {
  earlyWorker = worker;
}

function takeEarlyWorker(): Worker | undefined {
  const w = earlyWorker;
  earlyWorker = undefined;
  if (w?.failedEarly) void w.terminate();
  return w?.failedEarly ? undefined : w;
}

let nextJob = 1;
export function newJobId(): number {
  return nextJob++;
}

/**
 * Worker threads, started on first use and reused across files so that a
 * folder of thousands of small backups does not pay a thread start per file.
 */
export class WorkerPool {
  private readonly idle: HashWorker[] = [];
  private readonly all = new Set<HashWorker>();
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  /** threads: how many may hash at once (default: every core). */
  constructor(readonly threads: number = availableParallelism()) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  }

  /** Starts `count` workers ahead of need, so thread start overlaps other work. */
  warm(count = this.threads): void {
    while (this.all.size < count && !this.closed) this.idle.push(this.spawn());
  }

  private spawn(): HashWorker {
    const w = new HashWorker(takeEarlyWorker() ?? new Worker(workerScript()));
    w.hold(false);
    this.all.add(w);
    return w;
  }

  /**
   * Leases up to `count` workers (at least one), waiting while all are busy.
   * `limit` lets a job use more threads than cores when that helps
   * (several algorithms of different speeds sharing two cores).
   */
  async lease(count: number, limit = this.threads, signal?: AbortSignal): Promise<HashWorker[]> {
    const want = Math.max(1, Math.min(count, limit));
    for (;;) {
      throwIfAborted(signal);
      if (this.closed) throw new Error('worker pool is closed');
      this.idle.splice(0, this.idle.length, ...this.idle.filter((w) => !w.broken));
      const busy = this.all.size - this.idle.length;
      if (busy === 0 || busy + want <= Math.max(limit, this.threads)) {
        const out = this.idle.splice(0, want);
        while (out.length < want) out.push(this.spawn());
        for (const w of out) w.hold(true);
        return out;
      }
      // Wait for a release, or for an interruption (which gives the turn to the next in line).
      await new Promise<void>((resolve) => {
        const wake = () => {
          removeListener();
          resolve();
        };
        const removeListener = onAbort(signal, () => {
          const at = this.waiting.indexOf(wake);
          if (at >= 0) this.waiting.splice(at, 1);
          wake();
        });
        this.waiting.push(wake);
      });
    }
  }

  release(workers: HashWorker[]): void {
    for (const w of workers) {
      w.hold(false);
      if (w.broken) {
        this.all.delete(w);
        void w.terminate();
      } else this.idle.push(w);
    }
    this.waiting.shift()?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
    for (const wake of this.waiting.splice(0)) wake();
  }
}
