import { createHash } from 'node:crypto';
import { RestorableError } from '../errors.js';
import type { FileIdentity } from '../hash/file-identity.js';
import type { BackupHandle } from './backup-handle.js';
import type { Location, ObjectInfo } from './location.js';

/** Sequential readers get whole windows of this size per ranged request. */
const WINDOW = 8 * 1024 * 1024;

function identityOfObject(info: ObjectInfo): FileIdentity {
  // An object has no inode: its ETag stands in, so a replaced object reads as changed.
  const ino = info.etag ? createHash('md5').update(info.etag).digest().readUInt32BE(0) : 0;
  return { size: info.size, mtimeMs: info.lastModified?.getTime() ?? 0, ino, dev: 0 };
}

/**
 * An object read like a file: positional reads served from a read-ahead
 * window that ranged requests fill, so a front-to-back reader (the tar
 * reader, a decompressor) streams the object in large requests.
 */
export class RemoteHandle implements BackupHandle {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  private constructor(
    private readonly location: Location,
    private readonly key: string,
    private readonly info: ObjectInfo,
    private readonly signal?: AbortSignal,
  ) {}

  static async open(location: Location, key: string, signal?: AbortSignal): Promise<RemoteHandle> {
    const info = await location.stat(key, { signal });
    if (!info) throw new RestorableError(`${location.describe(key)}: no such object`);
    return new RemoteHandle(location, key, info, signal);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (position >= this.info.size || length === 0) return { bytesRead: 0 };
    const inWindow = position >= this.windowStart && position < this.windowStart + this.window.length;
    if (!inWindow) {
      const want = Math.min(Math.max(WINDOW, length), this.info.size - position);
      this.window = await this.location.readRange(this.key, position, want, { signal: this.signal });
      this.windowStart = position;
      // Inside the object's size nothing may come back empty: that would read as the end of the backup.
      if (this.window.length === 0) throw new RestorableError(`${this.location.describe(this.key)}: no bytes at ${position} of ${this.info.size}`);
    }
    const from = position - this.windowStart;
    const n = Math.min(length, this.window.length - from);
    this.window.copy(buffer, offset, from, from + n);
    return { bytesRead: n };
  }

  async stat(): Promise<FileIdentity> {
    return identityOfObject(this.info);
  }

  async currentIdentity(): Promise<FileIdentity | undefined> {
    const now = await this.location.stat(this.key, { signal: this.signal });
    return now && identityOfObject(now);
  }

  async close(): Promise<void> {
    this.window = Buffer.alloc(0);
  }
}
