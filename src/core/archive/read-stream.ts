import type { BackupHandle } from '../storage/backup-handle.js';
import { Readable } from 'node:stream';

const CHUNK = 256 * 1024;

/**
 * The backup's bytes from its one open descriptor, from the start, by
 * positional reads. Node's file streams close the descriptor when they end
 * or are destroyed (even with autoClose off, through async iteration); this
 * one never does, so the same descriptor can then be checked for changes.
 */
export function readBackup(handle: BackupHandle): Readable {
  let position = 0;
  return Readable.from(
    (async function* () {
      for (;;) {
        const buf = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await handle.read(buf, 0, CHUNK, position);
        if (bytesRead === 0) return;
        position += bytesRead;
        yield bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead);
      }
    })(),
    { objectMode: false },
  );
}
