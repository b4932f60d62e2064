import { createHash } from 'node:crypto';
import { BLOCKS, type BlocksStart, type FromWorker } from './protocol.js';
import { closeSync, openReadOnlySync, readFull } from './worker-io.js';
import { readPieceSize } from './cache-size.js';

/** Reads small enough that each piece is hashed while it is still in the core's cache. */
const PIECE = readPieceSize();

/**
 * One worker's part of a parallel block job: claim the next chunk of blocks
 * from the shared counter, read it by position, hash each block. Chunks are
 * large so that the reads of all workers stay near-sequential on disk.
 */
export function runBlocks(msg: BlocksStart, post: (m: FromWorker) => void): void {
  const control = new Int32Array(msg.control);
  const buf = new Uint8Array(Math.min(PIECE, msg.blockSize));
  const fd = openReadOnlySync(msg.path);
  // One reader at a time: a whole chunk is read under the turn, and hashed from memory after it.
  const whole = msg.oneReader ? new Uint8Array(msg.chunkBytes) : undefined;
  try {
    for (;;) {
      if (Atomics.load(control, BLOCKS.ABORT) !== 0) break;
      if (whole) {
        const read = readChunkInTurn(fd, control, whole, msg);
        if (!read) break;
        post(hashChunk(msg, read.chunk, whole.subarray(0, read.bytes), read.error));
        continue;
      }
      const chunk = Atomics.add(control, BLOCKS.NEXT_CHUNK, 1);
      const start = chunk * msg.chunkBytes;
      if (start >= msg.limit) break;
      const end = Math.min(start + msg.chunkBytes, msg.limit);
      const digests: string[] = [];
      let bytes = 0;
      try {
        for (let blockStart = start; blockStart < end; blockStart += msg.blockSize) {
          const blockEnd = Math.min(blockStart + msg.blockSize, end);
          const hash = createHash('sha256');
          let got = 0;
          for (let at = blockStart; at < blockEnd; at += buf.length) {
            const want = Math.min(buf.length, blockEnd - at);
            const n = readFull(fd, buf, 0, want, at);
            hash.update(n === buf.length ? buf : buf.subarray(0, n));
            got += n;
            if (n < want) break;
          }
          if (got === 0) break;
          digests.push(hash.digest('hex'));
          bytes += got;
          if (got < blockEnd - blockStart) break; // end of file inside this block
        }
      } catch (err) {
        post({ type: 'blocks-chunk', job: msg.job, chunk, digests: [], bytes: 0, readError: (err as NodeJS.ErrnoException).code ?? String(err) });
        continue;
      }
      post({ type: 'blocks-chunk', job: msg.job, chunk, digests, bytes });
    }
  } finally {
    closeSync(fd);
  }
  post({ type: 'blocks-done', job: msg.job });
}

/**
 * Takes the read turn (a lock in shared memory), claims the next chunk and
 * reads it whole, then passes the turn on: chunks are read one after the
 * other in file order, as a spinning disk wants, while the worker that read
 * the last one hashes it. Undefined when every chunk has been claimed.
 */
function readChunkInTurn(fd: number, control: Int32Array, into: Uint8Array, msg: BlocksStart): { chunk: number; bytes: number; error?: string } | undefined {
  while (Atomics.compareExchange(control, BLOCKS.READ_TURN, 0, 1) !== 0) Atomics.wait(control, BLOCKS.READ_TURN, 1, 50);
  try {
    const chunk = Atomics.add(control, BLOCKS.NEXT_CHUNK, 1);
    const start = chunk * msg.chunkBytes;
    if (start >= msg.limit) return undefined;
    const want = Math.min(msg.chunkBytes, msg.limit - start);
    try {
      return { chunk, bytes: readFull(fd, into, 0, want, start) };
    } catch (err) {
      return { chunk, bytes: 0, error: (err as NodeJS.ErrnoException).code ?? String(err) };
    }
  } finally {
    Atomics.store(control, BLOCKS.READ_TURN, 0);
    Atomics.notify(control, BLOCKS.READ_TURN, 1);
  }
}

/** The digests of the blocks of one chunk already in memory. */
function hashChunk(msg: BlocksStart, chunk: number, data: Uint8Array, readError?: string): FromWorker {
  if (readError) return { type: 'blocks-chunk', job: msg.job, chunk, digests: [], bytes: 0, readError };
  const digests: string[] = [];
  for (let at = 0; at < data.length; at += msg.blockSize) {
    const block = data.subarray(at, Math.min(at + msg.blockSize, data.length));
    const hash = createHash('sha256');
    // In pieces that stay in the core's cache, as the parallel path reads them.
    for (let p = 0; p < block.length; p += PIECE) hash.update(block.subarray(p, p + PIECE));
    digests.push(hash.digest('hex'));
  }
  return { type: 'blocks-chunk', job: msg.job, chunk, digests, bytes: data.length };
}
