// For the baselines: the naive whole-file read, in the calling thread, with
// one reused buffer at explicit positions (readSync).
import { readSync } from 'node:fs';

/**
 * Reads fd from offset 0 to its end, buf.length bytes at a time, and calls
 * onChunk with the bytes of each read (a view of buf: use it before returning).
 */
export function forEachChunk(fd, buf, onChunk) {
  let pos = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    onChunk(n === buf.length ? buf : buf.subarray(0, n));
    pos += n;
  }
}
