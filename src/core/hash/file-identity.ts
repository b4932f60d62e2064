import type { Stats } from 'node:fs';
import { constants, promises as fsp } from 'node:fs';
import { RestorableError, fsError } from '../errors.js';
import type { BackupHandle } from '../storage/backup-handle.js';

/** What we remember of a file to notice that it changed while we read it. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

export function identityOf(s: Stats | FileIdentity): FileIdentity {
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, dev: s.dev };
}

/**
 * Why the file is no longer the one we started reading, if it is not:
 * `before`/`after` are of the open descriptor, `atPath` what the path names
 * now (undefined when it is gone).
 */
export function describeChange(before: FileIdentity, after: FileIdentity, bytesRead: number, atPath: FileIdentity | undefined): string | undefined {
  if (after.size !== before.size) return `size changed from ${before.size} to ${after.size} bytes while it was read`;
  if (after.mtimeMs !== before.mtimeMs) return 'modification time changed while it was read';
  if (bytesRead !== before.size) return `read ${bytesRead} bytes but the file has ${before.size}`;
  if (!atPath) return 'the file was removed while it was read';
  if (atPath.ino !== before.ino || atPath.dev !== before.dev) return 'the file was replaced while it was read';
  return undefined;
}

/**
 * Whether the file behind an open descriptor changed since `before` was
 * taken (its size or time through the descriptor, or what the path names now).
 * `bytesRead`: what was read, when a whole read should have seen every byte.
 */
export async function changedSince(handle: BackupHandle, path: string, before: FileIdentity, bytesRead?: number): Promise<string | undefined> {
  const after = identityOf(await handle.stat());
  const atPath = handle.currentIdentity ? await handle.currentIdentity() : await fsp.stat(path).then(identityOf, () => undefined);
  return describeChange(before, after, bytesRead ?? after.size, atPath);
}

/** O_NOATIME keeps verification from touching access times; only the owner may use it. */
export const NOATIME = (constants as { O_NOATIME?: number }).O_NOATIME ?? 0;

/**
 * Opens a backup strictly read-only, without updating its access time when
 * allowed. A failure is an error that names the file ("…: permission denied").
 */
export async function openBackup(path: string): Promise<fsp.FileHandle> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it hung deep and restore-test,
  // deaf to Ctrl-C); it changes nothing for a regular file, the only kind read here.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK;
  let handle: fsp.FileHandle;
  try {
    handle = await openWith(path, flags);
  } catch (err) {
    throw fsError(err, path);
  }
  const info = await handle.stat().catch(async (err: unknown) => {
    await handle.close();
    throw fsError(err, path);
  });
  if (!info.isFile()) {
    await handle.close();
    throw new RestorableError(`${path}: not a regular file (${kindOf(info)}); only regular files are read as backups`);
  }
  return handle;
}

async function openWith(path: string, flags: number): Promise<fsp.FileHandle> {
  if (NOATIME) {
    try {
      return await fsp.open(path, flags | NOATIME);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
  }
  return fsp.open(path, flags);
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  if (info.isDirectory()) return 'a folder';
  return 'not a file';
}
