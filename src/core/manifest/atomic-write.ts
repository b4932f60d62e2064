import { randomBytes } from 'node:crypto';
import { access, link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RestorableError, fsError, isFsError } from '../errors.js';

export interface AtomicWriteOptions {
  /** replace an existing file (default: refuse) */
  overwrite?: boolean;
  mode?: number;
}

/**
 * Writes a file so that readers see the old content or the new, never a
 * half-written one: a temp file in the same folder, fsync, rename, then fsync
 * of the folder so the rename survives a crash. The temp file is removed on
 * any failure (full disk included).
 */
export async function atomicWrite(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const exists = () => new RestorableError(`${path}: already exists (use --force to replace it)`);
  if (!opts.overwrite && (await access(path).then(() => true, () => false))) throw exists();
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(temp, 'wx', opts.mode ?? 0o644);
  } catch (err) {
    throw fsError(err, path);
  }
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (opts.overwrite) await rename(temp, path);
    else await publishExclusive(temp, path);
  } catch (err) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    if (isFsError(err, 'EEXIST')) throw exists();
    throw fsError(err, path);
  }
  await syncFolder(dir);
}

/**
 * Puts the temp file in place only if nothing is there: link() fails with
 * EEXIST instead of replacing a file that appeared since we looked. File
 * systems without hard links fall back to a rename.
 */
async function publishExclusive(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (err) {
    if (!isFsError(err, 'EPERM') && !isFsError(err, 'ENOTSUP') && !isFsError(err, 'EOPNOTSUPP')) throw err;
    await rename(temp, path);
    return;
  }
  await unlink(temp);
}

async function syncFolder(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is done.
  }
}
