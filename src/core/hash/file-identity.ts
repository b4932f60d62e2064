import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { constants, promises as fsp } from 'node:fs';

/** What we remember of a file to notice that it changed while we read it. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

export function identityOf(s: Stats): FileIdentity {
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, dev: s.dev };
}

/** Why the file at `path` is no longer the file we started reading, if it is not. */
export async function describeChange(path: string, before: FileIdentity, after: FileIdentity, bytesRead: number): Promise<string | undefined> {
  if (after.size !== before.size) return `size changed from ${before.size} to ${after.size} bytes while it was read`;
  if (after.mtimeMs !== before.mtimeMs) return 'modification time changed while it was read';
  if (bytesRead !== before.size) return `read ${bytesRead} bytes but the file has ${before.size}`;
  try {
    const now = await stat(path);
    if (now.ino !== before.ino || now.dev !== before.dev) return 'the file was replaced while it was read';
  } catch {
    return 'the file was removed while it was read';
  }
  return undefined;
}

/** Opens a backup strictly read-only, without updating its access time when allowed. */
export async function openBackup(path: string): Promise<fsp.FileHandle> {
  const noatime = (constants as { O_NOATIME?: number }).O_NOATIME ?? 0;
  if (noatime) {
    try {
      return await fsp.open(path, constants.O_RDONLY | noatime);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
  }
  return fsp.open(path, constants.O_RDONLY);
}
