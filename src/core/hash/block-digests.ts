import { AbortError, fsError, onAbort, throwIfAborted } from '../errors.js';
import { changedSince, identityOf, openBackup } from './file-identity.js';
import { onRotationalDisk } from './device.js';
import { newJobId, type WorkerPool } from './pool.js';
import { ProgressMeter, type Progress } from './progress.js';
import { BLOCKS, type FromWorker } from './protocol.js';

/** Each worker reads this much at a time by position: near-sequential, few syscalls. */
export const TARGET_CHUNK_BYTES = 8 * 1024 * 1024;

export interface BlockChunk {
  /** index of the first block in this chunk */
  firstBlock: number;
  /** digests of the blocks read; fewer than asked when the file ends early */
  digests: string[];
  /** bytes read for the last digest when the file ended inside it */
  lastBlockBytes: number;
  /** set when the device failed the read: every block of the chunk is unreadable */
  readError?: string;
  blockCount: number;
}

export interface BlockDigestOptions {
  blockSize: number;
  /** bytes to cover: the size the block map describes */
  limit: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onChunk: (chunk: BlockChunk) => void;
  progressIntervalMs?: number;
  /** read with one reader at a time, in file order (default: when the file is on a spinning disk) */
  oneReader?: boolean;
}

export interface BlockDigestRun {
  /** bytes the file really has */
  actualSize: number;
  changed?: string;
}

/**
 * Digests fixed-size blocks with every leased worker reading its own chunks
 * by position (claimed from a shared counter), so both cores read and hash.
 * On a spinning disk they take turns to read, in file order, and hash in
 * parallel behind the reads.
 */
export async function parallelBlockDigests(pool: WorkerPool, path: string, opts: BlockDigestOptions): Promise<BlockDigestRun> {
  const { blockSize, limit } = opts;
  const blocksPerChunk = Math.max(1, Math.floor(TARGET_CHUNK_BYTES / blockSize));
  const chunkBytes = blocksPerChunk * blockSize;
  const chunks = Math.ceil(limit / chunkBytes);
  throwIfAborted(opts.signal);

  const handle = await openBackup(path);
  try {
    const before = identityOf(await handle.stat());
    const covered = Math.min(limit, before.size);
    if (chunks === 0) return { actualSize: before.size };
    const workers = await pool.lease(Math.min(pool.threads, chunks), undefined, opts.signal);
    const control = new SharedArrayBuffer(12);
    const oneReader = opts.oneReader ?? onRotationalDisk(path);
    const flags = new Int32Array(control);
    const job = newJobId();
    const meter = new ProgressMeter(covered, opts.onProgress, opts.progressIntervalMs);
    let done = 0;
    let finished = false;
    let removeListener = () => {};
    try {
      await new Promise<void>((resolve, reject) => {
        let running = workers.length;
        const stop = (err: Error) => {
          Atomics.store(flags, BLOCKS.ABORT, 1);
          reject(err);
        };
        removeListener = onAbort(opts.signal, () => stop(new AbortError()));
        if (opts.signal?.aborted) stop(new AbortError());
        const onMessage = (msg: FromWorker) => {
          if (msg.type === 'blocks-chunk') {
            const firstBlock = msg.chunk * blocksPerChunk;
            const blockCount = Math.min(blocksPerChunk, Math.ceil(limit / blockSize) - firstBlock);
            const tail = msg.bytes % blockSize;
            opts.onChunk({ firstBlock, digests: msg.digests, lastBlockBytes: tail === 0 ? blockSize : tail, readError: msg.readError, blockCount });
            done += msg.readError ? Math.min(chunkBytes, limit - msg.chunk * chunkBytes) : msg.bytes;
            meter.update(Math.min(done, covered));
          } else if (msg.type === 'blocks-done') {
            if (--running === 0) resolve();
          } else if (msg.type === 'error') {
            stop(msg.code ? fsError(Object.assign(new Error(msg.message), { code: msg.code }), path) : new Error(msg.message));
          }
        };
        for (const w of workers) {
          w.listen(job, onMessage);
          w.send({ type: 'blocks', job, path, blockSize, limit, chunkBytes, control, oneReader });
        }
      });
      finished = true;
    } finally {
      removeListener();
      for (const w of workers) {
        w.unlisten(job);
        // A worker told to stop may still be mid-chunk: do not reuse it.
        if (!finished) w.discard();
      }
      pool.release(workers);
    }
    meter.update(Math.min(done, covered), true);
    const changed = await changedSince(handle, path, before);
    return { actualSize: before.size, changed };
  } finally {
    await handle.close();
  }
}
