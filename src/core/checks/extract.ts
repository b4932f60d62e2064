import type { OpenArchive } from '../archive/open-archive.js';
import type { BackupHandle } from '../storage/backup-handle.js';
import { Sandbox, limitsForFolder, type ExtractLimits } from '../archive/sandbox.js';
import { readTar, type ArchiveEntry, type EntryContent, type ReadSummary } from '../archive/tar-reader.js';
import { AbortError } from '../errors.js';
import { eventChannel } from '../events/channel.js';
import type { CheckEvent } from '../events/types.js';
import { ProgressMeter } from '../hash/progress.js';

export interface Extraction {
  summary: ReadSummary;
  box: Sandbox;
  /** every member the archive listed, in order */
  listing: ArchiveEntry[];
}

/** What the archive will need on disk, as far as it can be known before reading it. */
export async function neededBytes(handle: BackupHandle, size: number, compression: string): Promise<number | undefined> {
  if (compression === 'none') return size;
  if (compression !== 'gzip' || size < 18) return undefined;
  // gzip's trailer holds the uncompressed size modulo 4 GiB: a floor, exact below 4 GiB.
  const tail = Buffer.alloc(4);
  await handle.read(tail, 0, 4, size - 4);
  // Trailing data after the stream would make it any number: deflate never expands past ~1032x.
  const isize = tail.readUInt32LE(0);
  return isize <= size * 1032 ? isize : undefined;
}

/**
 * Reads a tar archive once into a sandbox at `root` (the deep check's and the
 * restore test's shared step), with progress events. The sandbox's limits
 * are capped by the free space at `root`, and its ratio limit sees the
 * compressed bytes read so far. `watch` may wrap a member's content (to look
 * at it on the way); with `sha256`, each file's digest is taken as it passes. Interruption throws AbortError: not a verdict.
 */
export async function* extractArchive(
  file: string,
  archive: OpenArchive,
  root: string,
  opts: { limits: ExtractLimits; signal?: AbortSignal; watch?: (entry: ArchiveEntry, content: EntryContent) => EntryContent; materialiseLinks?: boolean; sha256?: boolean; needed?: number },
): AsyncGenerator<CheckEvent, Extraction> {
  let compressedRead = 0;
  // The restore test has read it already, for its check of the free space.
  const needed = 'needed' in opts ? opts.needed : await neededBytes(archive.handle, archive.before.size, archive.compression);
  const box = new Sandbox(root, await limitsForFolder(root, opts.limits, needed), () => compressedRead, opts.materialiseLinks);
  const listing: ArchiveEntry[] = [];
  const summary = yield* eventChannel<CheckEvent, ReadSummary>((emit) => {
    const meter = new ProgressMeter(archive.before.size, (p) => void emit({ type: 'progress', file, phase: 'read', ...p }));
    return readTar(
      archive.handle,
      file,
      { compression: archive.compression, container: archive.container },
      archive.before.size,
      async (entry, content) => {
        listing.push(entry);
        await box.add(entry, opts.watch ? opts.watch(entry, content) : content);
      },
      {
        signal: opts.signal,
        sha256: opts.sha256,
        onRead: (n) => {
          compressedRead = n;
          meter.update(n);
        },
      },
    );
  });
  if (opts.signal?.aborted) throw new AbortError();
  return { summary, box, listing };
}
