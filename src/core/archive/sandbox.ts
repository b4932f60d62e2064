import { closeSync, constants, fchmodSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { link, lstat, mkdir, symlink, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative } from 'node:path';
import type { Finding } from '../events/types.js';
import { isHole, type EntryContent } from './tar-parse.js';
import type { ArchiveEntry } from './tar-member.js';

/** Limits that stop decompression bombs and absurd archives; all configurable. */
export interface ExtractLimits {
  /** bytes written in all */
  maxTotalBytes: number;
  /** uncompressed bytes per compressed byte, checked once past `ratioGraceBytes` */
  maxRatio: number;
  ratioGraceBytes: number;
  maxEntries: number;
  /** set when maxTotalBytes is the free space of the temp folder, not a limit asked for */
  freeSpaceOf?: string;
  /** what the archive says it will need, when it says (a gzip trailer, a plain tar's size) */
  needed?: number;
}

export const DEFAULT_LIMITS: ExtractLimits = {
  maxTotalBytes: 256 * 1024 ** 3,
  // gzip cannot pass ~1030x even on zeros, so a real backup of zero-filled
  // images may reach 1000x; zstd and xz go far beyond on crafted input.
  maxRatio: 10_000,
  ratioGraceBytes: 64 * 1024 ** 2,
  maxEntries: 5_000_000,
};

/** Thrown to stop reading: a limit was reached. `environment`: the limit is this machine's (free space), not the archive's fault. */
export class LimitReached extends Error {
  constructor(
    message: string,
    readonly environment = false,
  ) {
    super(message);
  }
}

export interface SandboxStats {
  files: number;
  directories: number;
  links: number;
  bytes: number;
  emptyFiles: string[];
  noPermissionFiles: string[];
}

/**
 * Materialises archive members inside `root`, and nowhere else, by
 * construction: every folder on a member's way is one this sandbox made
 * (never a link), files are created anew (O_EXCL|O_NOFOLLOW) after an
 * earlier entry of that name is removed, and a link's target is resolved
 * as the kernel would, component by component, against the links the
 * archive has declared so far. Links are recorded and judged; only with
 * `materialiseLinks` (the restore test) are those that stay inside made.
 * A link that points outside is a warning (a system backup holds absolute
 * links); a member that would be written through a link is refused.
 * Devices and FIFOs are recorded, not made; setuid and setgid bits are not
 * restored; limits stop bombs.
 */
export class Sandbox {
  readonly stats: SandboxStats = { files: 0, directories: 0, links: 0, bytes: 0, emptyFiles: [], noPermissionFiles: [] };
  readonly findings: Finding[] = [];
  private entries = 0;
  /** folders made (or checked) here: real folders, not links, so they need no second look */
  private readonly folders = new Set<string>();
  /** every symbolic link the archive declared, by its path inside the archive, and its target */
  private readonly symlinks = new Map<string, string>();
  /** every path a member has taken: only these can exist in a fresh sandbox, so only these need a look first */
  private readonly taken = new Set<string>();
  private readonly umask = process.umask();

  constructor(
    readonly root: string,
    private readonly limits: ExtractLimits = DEFAULT_LIMITS,
    /** compressed bytes read so far, for the ratio limit */
    private readonly compressedSoFar: () => number = () => Number.POSITIVE_INFINITY,
    /** make the links that resolve inside (a restore does); the deep check only records them */
    private readonly materialiseLinks = false,
  ) {}

  private refuse(entry: ArchiveEntry, why: string): void {
    this.findings.push({ severity: 'error', message: `refused ${entry.path}: ${why}`, member: entry.path });
  }

  private warn(entry: ArchiveEntry, why: string): void {
    this.findings.push({ severity: 'warning', message: `${entry.path}: ${why}`, member: entry.path });
  }

  /** The member's place inside the sandbox, or why it has none (`root`: the name is the archive's own root, "./"). */
  private place(name: string): { path: string; rel: string } | { refused: string; root?: boolean } {
    if (name.includes('\0')) return { refused: 'the name contains a NUL byte' };
    if (isAbsolute(name) || /^[A-Za-z]:[\\/]/.test(name)) return { refused: 'absolute path' };
    const rel = posix.normalize(name.replace(/\\/g, '/')).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (rel === '..' || rel.startsWith('../')) return { refused: 'its path leads outside the archive (..)' };
    if (rel === '' || rel === '.') return { refused: 'empty name', root: true };
    return { path: join(this.root, rel), rel };
  }

  /** Creates the parent folders one by one; never through a link the archive declared or one found on disk. */
  private async parents(rel: string, path: string): Promise<string | undefined> {
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const through = parts.slice(0, i).join('/');
      if (this.symlinks.has(through)) return `it would be written through the link ${through}${this.leadsOutside(through) ? ', which points outside the archive' : ''}`;
    }
    const parent = dirname(path);
    if (parent === this.root || this.folders.has(parent)) return undefined;
    let at = this.root;
    for (const part of parts) {
      at = join(at, part);
      if (this.folders.has(at)) continue;
      const info = this.taken.has(at) ? await lstat(at).catch(() => undefined) : undefined;
      this.taken.add(at);
      if (!info) {
        await mkdir(at, { mode: 0o700 });
        this.stats.directories++;
      } else if (info.isSymbolicLink()) return `it would be written through the link ${relative(this.root, at)}`;
      else if (!info.isDirectory()) return `${relative(this.root, at)} is not a folder`;
      this.folders.add(at);
    }
    return undefined;
  }

  private checkLimits(extra: number): void {
    const total = this.stats.bytes + extra;
    if (total > this.limits.maxTotalBytes) {
      const { freeSpaceOf, needed, maxTotalBytes } = this.limits;
      if (freeSpaceOf) throw new LimitReached(`${freeSpaceOf}: not enough free space for the sandbox (${maxTotalBytes} bytes usable, ${needed !== undefined && needed > maxTotalBytes ? `the archive needs about ${needed}` : 'more needed'}); choose another place with --temp-dir`, true);
      throw new LimitReached(`more than ${this.limits.maxTotalBytes} bytes would be extracted (limit)`);
    }
    if (total > this.limits.ratioGraceBytes) {
      const ratio = total / Math.max(1, this.compressedSoFar());
      if (ratio > this.limits.maxRatio) throw new LimitReached(`expands ${Math.round(ratio)}x its compressed size (limit ${this.limits.maxRatio}x): a decompression bomb`);
    }
  }

  /** Adds one member; its content is read here (or left for the reader to skip). */
  async add(entry: ArchiveEntry, content: EntryContent): Promise<void> {
    if (++this.entries > this.limits.maxEntries) throw new LimitReached(`more than ${this.limits.maxEntries} members (limit)`);
    const where = this.place(entry.path);
    if ('refused' in where) {
      // `tar -C dir .` opens with the archive's own root, "./": nothing to make, nothing wrong.
      if (!(where.root && entry.type === 'directory')) this.refuse(entry, where.refused);
      return;
    }
    if (entry.type === 'character-device' || entry.type === 'block-device' || entry.type === 'fifo') {
      this.warn(entry, `a ${entry.type.replace('-', ' ')}: recorded, not created`);
      return;
    }
    if (entry.unknownType) this.warn(entry, `unknown member type '${entry.unknownType}': read as a regular file, as GNU tar does`);
    if (entry.type === 'other') {
      this.refuse(entry, 'a continuation of a file from another volume (multi-volume archives are not supported)');
      return;
    }
    if (entry.mode & 0o6000) this.warn(entry, `has the ${entry.mode & 0o4000 ? 'setuid' : 'setgid'} bit; not restored`);
    const blocked = await this.parents(where.rel, where.path);
    if (blocked) return this.refuse(entry, blocked);
    // A later member of the same name replaces an earlier one, as with tar.
    this.symlinks.delete(where.rel);
    switch (entry.type) {
      case 'directory':
        return this.addDirectory(entry, where.path);
      case 'symlink':
        return this.addSymlink(entry, where.rel, where.path);
      case 'link':
        return this.addHardlink(entry, where.path);
      default:
        return this.addFile(entry, where.path, content);
    }
  }

  /** Removes a file this sandbox wrote for `name` (salvage: its content turned out cut or wrong). */
  async discard(name: string): Promise<void> {
    const where = this.place(name);
    if ('refused' in where || !this.taken.has(where.path)) return;
    const info = await lstat(where.path).catch(() => undefined);
    if (!info?.isFile()) return;
    await unlink(where.path);
    this.stats.files--;
    this.stats.bytes -= info.size;
  }

  private async addDirectory(entry: ArchiveEntry, path: string): Promise<void> {
    if (this.folders.has(path)) return;
    const info = this.taken.has(path) ? await lstat(path).catch(() => undefined) : undefined;
    this.taken.add(path);
    if (info && !info.isDirectory()) await unlink(path);
    if (!info?.isDirectory()) {
      await mkdir(path, { mode: 0o700 });
      this.stats.directories++;
    }
    this.folders.add(path);
  }

  /**
   * Where `rel` (a path inside the archive) really leads, resolved as the
   * kernel would: component by component, every symbolic link the archive
   * declared followed by its target. Undefined when the path leaves the
   * archive (an absolute target, or `..` above the root) or loops. Judging
   * link targets by their text alone let a chain such as `x -> .`,
   * `y -> x/x/../..` pass while it led outside.
   */
  private resolve(rel: string, followLast: boolean, depth = 0): string[] | undefined {
    if (depth > 40) return undefined;
    const parts = rel.split('/');
    const at: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (at.length === 0) return undefined;
        at.pop();
        continue;
      }
      const last = parts.slice(i + 1).every((p) => p === '' || p === '.');
      const target = this.symlinks.get([...at, part].join('/'));
      if (target !== undefined && (!last || followLast)) {
        if (isAbsolute(target)) return undefined;
        const inner = this.resolve([...at, target].join('/'), true, depth + 1);
        if (!inner) return undefined;
        at.splice(0, at.length, ...inner);
        continue;
      }
      at.push(part);
    }
    return at;
  }

  private leadsOutside(rel: string): boolean {
    return this.resolve(rel, true) === undefined;
  }

  /**
   * Makes room for a member of this name: an earlier non-folder entry is
   * removed (the later member wins, as with tar), so that nothing is ever
   * written through a hard link or symbolic link of that name.
   */
  private async clear(path: string): Promise<string | undefined> {
    if (!this.taken.has(path)) {
      this.taken.add(path);
      return undefined;
    }
    const info = await lstat(path).catch(() => undefined);
    if (!info) return undefined;
    if (info.isDirectory()) return 'a folder of that name exists';
    await unlink(path);
    return undefined;
  }

  private async addFile(entry: ArchiveEntry, path: string, content: EntryContent): Promise<void> {
    const mode = entry.mode & 0o777;
    let fd: number;
    try {
      const busy = await this.clear(path);
      if (busy) throw new Error(busy);
      // O_EXCL|O_NOFOLLOW: a new file, never one reached through a link planted under this name.
      // Synchronous writes: thousands of small files go several times faster than through the thread pool.
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode | 0o200);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code && code !== 'ELOOP' && code !== 'EEXIST') throw err;
      return this.refuse(entry, code ? 'a link of that name exists; not followed' : (err as Error).message);
    }
    let position = 0;
    try {
      for await (const chunk of content) {
        // A sparse file's holes are skipped, not written: they take no room.
        if (!isHole(chunk)) {
          this.checkLimits(chunk.length);
          for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at, chunk.length - at, position + at);
          this.stats.bytes += chunk.length;
        }
        position += chunk.length;
      }
      if (entry.sparse) ftruncateSync(fd, position);
      // The umask (and the write bit we needed) may differ from the archive's mode: set it exactly.
      if (((mode | 0o200) & ~this.umask) !== mode) fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
    this.stats.files++;
    if (position === 0) this.stats.emptyFiles.push(entry.path);
    if (mode === 0) this.stats.noPermissionFiles.push(entry.path);
  }

  private async addSymlink(entry: ArchiveEntry, rel: string, path: string): Promise<void> {
    const target = entry.linkname ?? '';
    this.symlinks.set(rel, target);
    this.stats.links++;
    const busy = await this.clear(path);
    if (busy) return this.refuse(entry, busy);
    if (this.leadsOutside(rel)) {
      this.warn(entry, `symbolic link to ${target}, outside the archive${this.materialiseLinks ? ': not created in the sandbox' : ''}`);
      return;
    }
    if (this.materialiseLinks) await symlink(target, path);
  }

  private async addHardlink(entry: ArchiveEntry, path: string): Promise<void> {
    const target = this.place(entry.linkname ?? '');
    if ('refused' in target) return this.refuse(entry, `hard link to ${entry.linkname}: ${target.refused}`);
    // link() follows links in the target's folders: resolve them here, and link the real file.
    const real = this.resolve(target.rel, false);
    if (!real) return this.refuse(entry, `hard link to ${entry.linkname}, which leads outside the archive`);
    const source = join(this.root, ...real);
    const info = await lstat(source).catch(() => undefined);
    if (!info?.isFile()) return this.refuse(entry, `hard link to ${entry.linkname}, which is not a file extracted from this archive`);
    if (source === path) return;
    const busy = await this.clear(path);
    if (busy) return this.refuse(entry, busy);
    this.stats.links++;
    if (this.materialiseLinks) await link(source, path);
  }
}

/**
 * The limits for a sandbox on the file system of `folder`: never more than
 * its free space (less a margin), so a bomb fills nothing.
 */
export async function limitsForFolder(folder: string, limits: ExtractLimits, needed?: number): Promise<ExtractLimits> {
  const { statfs } = await import('node:fs/promises');
  const fs = await statfs(folder);
  const free = Math.max(0, fs.bavail * fs.bsize - 64 * 1024 * 1024);
  return free < limits.maxTotalBytes ? { ...limits, maxTotalBytes: free, freeSpaceOf: folder, needed } : limits;
}
