import { AbortError, fsError } from '../errors.js';
import { RELATIVE_COST, type Algorithm } from './algorithms.js';
import { describeChange, identityOf, openBackup } from './file-identity.js';
import { newJobId, type HashWorker, type WorkerPool } from './pool.js';
import { ProgressMeter, type Progress } from './progress.js';
import type { FromWorker, StreamTask } from './protocol.js';

/** Read size and ring depth: large reads, a few in flight, memory flat (24 MiB). */
export const SLOT_SIZE = Number(process.env.XSLOT ?? 4 * 1024 * 1024);
export const SLOT_COUNT = Number(process.env.XCOUNT ?? 6);

export interface StreamDigestOptions {
  algorithms: Algorithm[];
  /** also digest every block of this size with sha256, in the same pass */
  blockSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** completed block digests, in order, as they are computed */
  onBlocks?: (firstIndex: number, digests: string[]) => void;
  progressIntervalMs?: number;
}

export interface StreamDigestResult {
  digests: Partial<Record<Algorithm, string>>;
  blockDigests?: string[];
  bytes: number;
  /** set when the file changed while it was read: the digests mean nothing */
  changed?: string;
}

/**
 * Spreads tasks over at most `workers` groups, most expensive first onto the
 * least loaded group, so the slowest algorithm does not wait behind others.
 */
export function planTasks(tasks: StreamTask[], workers: number): StreamTask[][] {
  const cost = (t: StreamTask) => (t.kind === 'digest' ? RELATIVE_COST[t.algorithm] : RELATIVE_COST.sha256);
  const groups: { load: number; tasks: StreamTask[] }[] = Array.from({ length: Math.max(1, Math.min(workers, tasks.length)) }, () => ({ load: 0, tasks: [] }));
  for (const task of [...tasks].sort((a, b) => cost(b) - cost(a))) {
    const g = groups.reduce((min, cur) => (cur.load < min.load ? cur : min));
    g.tasks.push(task);
    g.load += cost(task);
  }
  return groups.map((g) => g.tasks);
}

/** At most this many threads for one file: beyond it, two cores gain nothing. */
const MAX_STREAM_WORKERS = 4;

/**
 * One sequential read of `path` feeding every requested digest (and the
 * block digests) in worker threads. The main thread only reads: it fills a
 * ring of shared buffers and each worker hashes every slot once.
 */
export async function streamDigest(pool: WorkerPool, path: string, opts: StreamDigestOptions): Promise<StreamDigestResult> {
  const tasks: StreamTask[] = opts.algorithms.map((algorithm) => ({ kind: 'digest', algorithm }));
  if (opts.blockSize) tasks.push({ kind: 'blocks', blockSize: opts.blockSize });
  if (tasks.length === 0) throw new Error('nothing to digest');
  opts.signal?.throwIfAborted?.();

  let handle;
  try {
    handle = await openBackup(path);
  } catch (err) {
    throw fsError(err, path);
  }
  // One thread per task when there are fewer cores than tasks: the OS then
  // shares both cores between them, which beats a fixed split by cost.
  const limit = pool.threads === 1 ? 1 : Math.min(MAX_STREAM_WORKERS, tasks.length);
  const workers = await pool.lease(tasks.length, limit);
  let finished = false;
  try {
    const before = identityOf(await handle.stat());
    const job = newJobId();
    const run = new RingRun(job, workers, planTasks(tasks, workers.length), opts);
    const bytes = await run.pump(handle, before.size, path);
    const result = await run.finish();
    const after = identityOf(await handle.stat());
    const changed = await describeChange(path, before, after, bytes);
    finished = true;
    return { ...result, bytes, changed };
  } finally {
    // A worker left mid-job may still hold its slots: never hand it out again.
    if (!finished) workers.forEach((w) => w.discard());
    pool.release(workers);
    await handle.close();
  }
}

class RingRun {
  private readonly ring = new SharedArrayBuffer(SLOT_SIZE * SLOT_COUNT);
  private readonly pending = new Array<number>(SLOT_COUNT).fill(0);
  private readonly free: number[] = Array.from({ length: SLOT_COUNT }, (_, i) => i);
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly blockDone = new Map<number, string[]>();
  private chunkSeq = 0;
  private readonly slotSeq = new Array<number>(SLOT_COUNT).fill(0);
  private nextBlockChunk = 0;
  private blockIndex = 0;
  private readonly blockDigests: string[] = [];
  private readonly results: FromWorker[] = [];
  private resultsWanted: number;
  private resultsDone: (() => void) | undefined;
  private readonly blocksWorker: HashWorker | undefined;

  constructor(
    private readonly job: number,
    private readonly workers: HashWorker[],
    groups: StreamTask[][],
    private readonly opts: StreamDigestOptions,
  ) {
    this.resultsWanted = workers.length;
    workers.forEach((w, i) => {
      const tasks = groups[i] ?? [];
      w.listen(job, (msg) => this.onMessage(w, msg));
      w.send({ type: 'stream-start', job, ring: this.ring, slotSize: SLOT_SIZE, tasks });
    });
    this.blocksWorker = workers.find((_, i) => groups[i]?.some((t) => t.kind === 'blocks'));
    opts.signal?.addEventListener('abort', () => this.poke(), { once: true });
  }

  private onMessage(worker: HashWorker, msg: FromWorker): void {
    switch (msg.type) {
      case 'chunk-done':
        if (worker === this.blocksWorker && msg.blocks) this.collectBlocks(this.slotSeq[msg.slot]!, msg.blocks);
        if (--this.pending[msg.slot]! === 0) {
          this.free.push(msg.slot);
          this.poke();
        }
        return;
      case 'stream-result':
        if (worker === this.blocksWorker && msg.blocks) this.collectBlocks(this.chunkSeq, msg.blocks);
        this.results.push(msg);
        if (--this.resultsWanted === 0) this.resultsDone?.();
        return;
      case 'error':
        this.failure ??= new Error(msg.message);
        this.poke();
        this.resultsDone?.();
        return;
      default:
        return;
    }
  }

  /** Block digests arrive per slot; emit them strictly in file order. */
  private collectBlocks(seq: number, digests: string[]): void {
    this.blockDone.set(seq, digests);
    while (this.blockDone.has(this.nextBlockChunk)) {
      const batch = this.blockDone.get(this.nextBlockChunk)!;
      this.blockDone.delete(this.nextBlockChunk++);
      if (batch.length === 0) continue;
      this.blockDigests.push(...batch);
      this.opts.onBlocks?.(this.blockIndex, batch);
      this.blockIndex += batch.length;
    }
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async acquire(): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.opts.signal?.aborted) throw new AbortError();
      const slot = this.free.shift();
      if (slot !== undefined) return slot;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async pump(handle: import('node:fs/promises').FileHandle, total: number, path: string): Promise<number> {
    const meter = new ProgressMeter(total, this.opts.onProgress, this.opts.progressIntervalMs);
    let position = 0;
    for (;;) {
      const slot = await this.acquire();
      const view = new Uint8Array(this.ring, slot * SLOT_SIZE, SLOT_SIZE);
      let got = 0;
      try {
        while (got < SLOT_SIZE) {
          const { bytesRead } = await handle.read(view, got, SLOT_SIZE - got, position + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } catch (err) {
        throw fsError(err, path);
      }
      if (got === 0) {
        this.free.push(slot);
        break;
      }
      position += got;
      this.pending[slot] = this.workers.length;
      this.slotSeq[slot] = this.chunkSeq++;
      for (const w of this.workers) w.send({ type: 'chunk', job: this.job, slot, length: got });
      meter.update(position);
      if (got < SLOT_SIZE) break;
    }
    meter.update(position, true);
    return position;
  }

  async finish(): Promise<Omit<StreamDigestResult, 'bytes'>> {
    const done = new Promise<void>((resolve) => {
      this.resultsDone = resolve;
      if (this.resultsWanted === 0) resolve();
    });
    for (const w of this.workers) w.send({ type: 'stream-end', job: this.job });
    await done;
    for (const w of this.workers) w.unlisten(this.job);
    if (this.failure) throw this.failure;
    const digests: Partial<Record<Algorithm, string>> = {};
    for (const r of this.results) if (r.type === 'stream-result') Object.assign(digests, r.digests);
    return { digests, blockDigests: this.blocksWorker ? this.blockDigests : undefined };
  }
}
