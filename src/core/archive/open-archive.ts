import { basename } from 'node:path';
import { fsError } from '../errors.js';
import { emptyFinding, type CheckEvent, type CheckResult } from '../events/types.js';
import { identityOf, openBackup, type FileIdentity } from '../hash/file-identity.js';
import type { BackupHandle } from '../storage/backup-handle.js';
import { isObjectUri, parseObjectUri } from '../storage/object-uri.js';
import { compressionOf, containerOf, readHead, type Compression, type Container } from './detect.js';
import { decompress } from './decompress.js';
import { readBackup } from './read-stream.js';

export interface OpenArchive {
  /** the one descriptor everything is read from */
  handle: BackupHandle;
  before: FileIdentity;
  compression: Compression;
  container: Container;
  /** "tar+gzip", "sql", … */
  format: string;
  /** the first bytes */
  head: Uint8Array;
}

/** Opens a backup read-only, notes its identity and tells what it is, from its first bytes. */
export async function openArchive(file: string, signal?: AbortSignal): Promise<OpenArchive> {
  const handle = isObjectUri(file) ? await openObject(file, signal) : await openBackup(file);
  try {
    const before = identityOf(await handle.stat());
    const head = await readHead(handle);
    const name = isObjectUri(file) ? parseObjectUri(file).key : basename(file);
    const compression = compressionOf(head, name);
    let container = containerOf(compression === 'none' ? head : new Uint8Array(), name);
    // A name that does not say (backup.bin, x.tb2 with the wrong suffix): look inside.
    if (container === 'unknown' && compression !== 'none') container = containerOf(await decompressedHead(handle, compression, file), name);
    return { handle, before, compression, container, head, format: `${container}${compression === 'none' ? '' : `+${compression}`}` };
  } catch (err) {
    await handle.close();
    throw fsError(err, file);
  }
}

/** The first bytes once decompressed; none when they cannot be had (the program is missing, the data is damaged). */
async function decompressedHead(handle: BackupHandle, compression: Compression, file: string): Promise<Uint8Array> {
  const input = readBackup(handle);
  try {
    const dec = await decompress(input, compression, file);
    const parts: Buffer[] = [];
    let got = 0;
    try {
      for await (const chunk of dec.output as AsyncIterable<Buffer>) {
        parts.push(chunk);
        if ((got += chunk.length) >= 512) break;
      }
    } finally {
      input.destroy();
      dec.output.destroy();
      await dec.finished.catch(() => {});
    }
    return Buffer.concat(parts);
  } catch {
    input.destroy();
    return new Uint8Array();
  }
}

/** A maker of step events for one file. */
export function stepsFor(file: string) {
  return (id: string, title: string, state: 'running' | 'ok' | 'failed' | 'skipped', detail?: string): CheckEvent => ({ type: 'step', file, id, title, state, detail });
}

/** An object in a bucket (s3://, r2://, b2://), read through ranged requests. */
async function openObject(uri: string, signal?: AbortSignal): Promise<BackupHandle> {
  const { objectLocation } = await import('../storage/object-uri.js');
  const { RemoteHandle } = await import('../storage/remote-handle.js');
  const { location, key } = await objectLocation(uri);
  return RemoteHandle.open(location, key, signal);
}

/** The result for a 0-byte backup: nothing to read, nothing to restore (status `empty`, as `verify` gives it). */
export function emptyBackupResult(file: string, check: 'deep' | 'restore', started: number): CheckResult {
  return {
    file,
    status: 'empty',
    size: 0,
    findings: [emptyFinding(file)],
    manifests: [],
    checks: [check],
    checkedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
  };
}
