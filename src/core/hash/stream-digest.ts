import { stat } from 'node:fs/promises';
import { AbortError, fsError, onAbort } from '../errors.js';
import { RELATIVE_COST, type Algorithm } from './algorithms.js';
import { readPieceSize } from './cache-size.js';
import { newJobId, type HashWorker, type WorkerPool } from './pool.js';
import { ProgressMeter, PROGRESS_INTERVAL_MS, type Progress } from './progress.js';
import { STREAM, consumedIndex, streamControlInts, type FromWorker, type StreamTask } from './protocol.js';

/**
 * Read size and ring depth. Each read is hashed while still in the reading
 * core's cache (cache-size.ts). Alone, the reader cycles through two slots
 * that stay cached; with followers, 16 MiB of slots let them lag without
 * stalling it. Memory stays flat either way.
 */
export const SLOT_SIZE = readPieceSize();
const SLOTS_ALONE = 2;
const SLOTS_SHARED = (16 * 1024 * 1024) / SLOT_SIZE;

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

/** Reading costs about as much as a fast digest; the reader's group carries it. */
const READ_COST = 0.2;
const cost = (t: StreamTask) => (t.kind === 'digest' ? RELATIVE_COST[t.algorithm] : RELATIVE_COST.sha256);

/**
 * Spreads tasks over at most `workers` groups, most expensive first onto the
 * least loaded group. The first group, the lightest, goes to the reader.
 */
export function planTasks(tasks: StreamTask[], workers: number): StreamTask[][] {
  const groups = Array.from({ length: Math.max(1, Math.min(workers, tasks.length)) }, (_, i) => ({ load: i === 0 ? READ_COST : 0, tasks: [] as StreamTask[] }));
  for (const task of [...tasks].sort((a, b) => cost(b) - cost(a))) {
    const g = groups.reduce((min, cur) => (cur.load < min.load ? cur : min));
    g.tasks.push(task);
    g.load += cost(task);
  }
  return groups.map((g) => g.tasks);
}

/**
 * Rings are reused from job to job: a shared buffer is freed only when every
 * thread that saw it has collected it, so a new 16 MiB ring per file made a
 * run over thousands of small files grow by gigabytes. A ring whose job was
 * stopped mid-way is not reused (a worker may still be writing to it).
 */
const freeRings = new Map<number, SharedArrayBuffer[]>();
function takeRing(slots: number): SharedArrayBuffer {
  return freeRings.get(slots)?.pop() ?? new SharedArrayBuffer(SLOT_SIZE * slots);
}
function giveRing(slots: number, ring: SharedArrayBuffer): void {
  const free = freeRings.get(slots) ?? [];
  if (free.length < 4) free.push(ring);
  freeRings.set(slots, free);
}

/** At most this many threads for one file: beyond it, two cores gain nothing. */
const MAX_STREAM_WORKERS = 4;

/**
 * One sequential read of `path` feeding every requested digest (and the
 * block digests) in worker threads: one worker reads into shared memory and
 * hashes its share, the others hash theirs from the same bytes. With several
 * slow digests there is one thread per digest and the OS shares the cores.
 */
export async function streamDigest(pool: WorkerPool, path: string, opts: StreamDigestOptions): Promise<StreamDigestResult> {
  const tasks: StreamTask[] = opts.algorithms.map((algorithm) => ({ kind: 'digest', algorithm }));
  if (opts.blockSize) tasks.push({ kind: 'blocks', blockSize: opts.blockSize });
  if (tasks.length === 0) throw new Error('nothing to digest');
  if (opts.signal?.aborted) throw new AbortError();

  const limit = pool.threads === 1 ? 1 : Math.min(MAX_STREAM_WORKERS, tasks.length);
  const workers = await pool.lease(tasks.length, limit, opts.signal);
  const groups = planTasks(tasks, workers.length);
  const slots = workers.length === 1 ? SLOTS_ALONE : SLOTS_SHARED;
  const job = newJobId();
  const control = new SharedArrayBuffer(4 * streamControlInts(slots, workers.length));
  const ints = new Int32Array(control);
  ints[STREAM.TOTAL] = -1;
  const ring = takeRing(slots);
  const bytesRead = () => Atomics.load(ints, STREAM.BYTES_HI) * 2 ** 31 + Atomics.load(ints, STREAM.BYTES_LO);
  // Each follower's progress is what it has consumed of the ring (never past what was read).
  const parts = () => {
    const read = bytesRead();
    const out: Record<string, number> = {};
    groups.forEach((group, c) => {
      const done = c === 0 ? read : Math.min(read, Atomics.load(ints, consumedIndex(slots, c)) * SLOT_SIZE);
      for (const t of group) out[t.kind === 'digest' ? t.algorithm : 'blocks'] = done;
    });
    return out;
  };

  // The size for progress only; the reader keeps its own before/after identity.
  const total = opts.onProgress ? await stat(path).then((s) => s.size, () => 0) : 0;
  const meter = new ProgressMeter(total, opts.onProgress, 0);
  let timer: NodeJS.Timeout | undefined;
  let removeListener = () => {};
  let finished = false;
  try {
    const blockDigests: string[] = [];
    const results = await new Promise<Extract<FromWorker, { type: 'stream-result' }>[]>((resolve, reject) => {
      const got: Extract<FromWorker, { type: 'stream-result' }>[] = [];
      const stop = (err: Error) => {
        Atomics.store(ints, STREAM.ABORT, 1);
        Atomics.notify(ints, STREAM.FILLED);
        reject(err);
      };
      removeListener = onAbort(opts.signal, () => stop(new AbortError()));
      if (opts.signal?.aborted) return stop(new AbortError());
      const onMessage = (msg: FromWorker) => {
        if (msg.type === 'stream-blocks') {
          blockDigests.push(...msg.digests);
          opts.onBlocks?.(msg.first, msg.digests);
        } else if (msg.type === 'stream-result') {
          got.push(msg);
          if (got.length === workers.length) resolve(got);
        } else if (msg.type === 'error') {
          stop(msg.code ? fsError(Object.assign(new Error(msg.message), { code: msg.code }), path) : new Error(msg.message));
        }
      };
      workers.forEach((w: HashWorker, i) => {
        w.listen(job, onMessage);
        w.send({
          type: 'stream', job, path, role: i === 0 ? 'reader' : 'follower', consumer: i, consumers: workers.length,
          ring, slotSize: SLOT_SIZE, slots, control, tasks: groups[i] ?? [],
        });
      });
      // Polled from the shared byte counter, so reporting costs the workers nothing.
      if (opts.onProgress) timer = setInterval(() => meter.update(bytesRead(), true, parts()), Math.max(1, opts.progressIntervalMs ?? PROGRESS_INTERVAL_MS));
    });
    finished = true;
    const reader = results.find((r) => r.bytes !== undefined)!;
    const digests: Partial<Record<Algorithm, string>> = {};
    for (const r of results) Object.assign(digests, r.digests);
    const done = reader.bytes!;
    meter.update(done, true, Object.fromEntries(Object.keys(parts()).map((k) => [k, done])));
    return { digests, blockDigests: opts.blockSize ? blockDigests : undefined, bytes: done, changed: reader.changed };
  } finally {
    if (timer) clearInterval(timer);
    removeListener();
    for (const w of workers) {
      w.unlisten(job);
      // A worker stopped mid-job may still be inside it: never hand it out again.
      if (!finished) w.discard();
    }
    if (finished) giveRing(slots, ring);
    pool.release(workers);
  }
}
