import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { NOATIME, identityOf, type FileIdentity } from './file-identity.js';

/** Synchronous file access for worker threads (blocking a worker blocks no one). */

export function openReadOnlySync(path: string): number {
  if (NOATIME) {
    try {
      return openSync(path, constants.O_RDONLY | NOATIME);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
  }
  return openSync(path, constants.O_RDONLY);
}

/** Reads until `length` bytes or end of file; returns the bytes read. */
export function readFull(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, offset + got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export function fdIdentity(fd: number): FileIdentity {
  return identityOf(fstatSync(fd));
}

export function pathIdentity(path: string): FileIdentity | undefined {
  try {
    return identityOf(statSync(path));
  } catch {
    return undefined;
  }
}

export { closeSync };
