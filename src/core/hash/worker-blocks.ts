import { createHash } from 'node:crypto';
import { BLOCKS, type BlocksStart, type FromWorker } from './protocol.js';
import { closeSync, openReadOnlySync, readFull } from './worker-io.js';

/** Reads small enough that each piece is hashed while it is still in the core's cache. */
const PIECE = 256 * 1024;

/**
 * One worker's part of a parallel block job: claim the next chunk of blocks
 * from the shared counter, read it by position, hash each block. Chunks are
 * large so that the reads of all workers stay near-sequential on disk.
 */
export function runBlocks(msg: BlocksStart, post: (m: FromWorker) => void): void {
  const control = new Int32Array(msg.control);
  const buf = new Uint8Array(Math.min(PIECE, msg.blockSize));
  const fd = openReadOnlySync(msg.path);
  try {
    for (;;) {
      if (Atomics.load(control, BLOCKS.ABORT) !== 0) break;
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
