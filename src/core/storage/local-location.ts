import { Limiter } from './limiter.js';
import { copyFile, open, opendir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { RestorableError, fsError, isFsError, throwIfAborted } from '../errors.js';
import { openBackup } from '../hash/file-identity.js';
import type { Location, ObjectInfo, ReadOptions } from './location.js';

/** A folder on this machine (or a mounted one) as a location. */
export class LocalLocation implements Location {
  readonly kind = 'local';
  private readonly wholeReads = new Limiter(1);
  constructor(
    readonly name: string,
    readonly root: string,
  ) {}

  get display(): string {
    return this.root;
  }

  describe(key: string): string {
    return this.pathOf(key);
  }

  /** Keys stay inside the folder: a key with ".." is refused, never followed. */
  pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (path !== this.root && !path.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep)) {
      throw new RestorableError(`${this.name}: "${key}" points outside ${this.root}; it was not opened`);
    }
    return path;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(key);
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new RestorableError(`${path}: is not a regular file`);
      return { key, size: s.size, lastModified: s.mtime };
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return undefined;
      throw fsError(err, path);
    }
  }

  async readRange(key: string, offset: number, length: number, opts: ReadOptions = {}): Promise<Buffer> {
    throwIfAborted(opts.signal);
    const path = this.pathOf(key);
    const handle = await openBackup(path);
    try {
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(buf, got, length - got, offset + got).catch((err: unknown) => {
          throw fsError(err, path);
        });
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      opts.onBytes?.(got);
      return got === length ? buf : buf.subarray(0, got);
    } finally {
      await handle.close();
    }
  }

  async *read(key: string, opts: ReadOptions = {}): AsyncIterable<Buffer> {
    const path = this.pathOf(key);
    // One whole read of this folder at a time, however many backups are checked at once: readers side by side thrash a disk.
    const release = await this.wholeReads.acquire();
    try {
      yield* this.stream(path, opts);
    } finally {
      release();
    }
  }

  private async *stream(path: string, opts: ReadOptions): AsyncIterable<Buffer> {
    const handle = await openBackup(path);
    // The stream owns the descriptor from here and closes it.
    const stream = handle.createReadStream({ highWaterMark: 1024 * 1024, signal: opts.signal });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        opts.onBytes?.(chunk.length);
        yield chunk;
      }
    } catch (err) {
      throwIfAborted(opts.signal);
      throw fsError(err, path);
    }
  }

  async *list(opts: ReadOptions & { startsWith?: string } = {}): AsyncIterable<ObjectInfo> {
    const walk = async function* (this: LocalLocation, folder: string): AsyncIterable<ObjectInfo> {
      let dir;
      try {
        dir = await opendir(folder);
      } catch (err) {
        throw fsError(err, folder);
      }
      for await (const entry of dir) {
        throwIfAborted(opts.signal);
        const path = join(folder, entry.name);
        if (entry.isDirectory()) yield* walk.call(this, path);
        else if (entry.isFile()) {
          const s = await stat(path).catch(() => undefined);
          const key = relative(this.root, path).split(sep).join('/');
          if (s && key.startsWith(opts.startsWith ?? '')) yield { key, size: s.size, lastModified: s.mtime };
        }
      }
    };
    yield* walk.call(this, this.root);
  }

  /** Copies `source` beside the copy, then renames it over: readers see the old file or the new. */
  async upload(key: string, source: string): Promise<void> {
    const path = this.pathOf(key);
    const temp = join(dirname(path), `.${key.split('/').pop()}.${process.pid}.upload.tmp`);
    try {
      await copyFile(source, temp);
      const h = await open(temp, 'r+');
      await h.sync().finally(() => h.close());
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw fsError(err, path);
    }
  }

  close(): void {}
}
