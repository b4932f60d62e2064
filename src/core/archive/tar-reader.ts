import type { BackupHandle } from '../storage/backup-handle.js';
import { readBackup } from './read-stream.js';
import tar from 'tar-stream';
import { decompress } from './decompress.js';
import { onAbort } from '../errors.js';
import type { ArchiveTotals } from '../events/types.js';
import type { ArchiveKind } from './detect.js';

export type EntryType = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo' | 'other';

/** A member's content: iterate it to the end (tar-stream's streams are not Node's). */
export type EntryContent = AsyncIterable<Buffer>;

export interface ArchiveEntry {
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  linkname?: string;
  mtime?: Date;
  /** bytes of the uncompressed stream read before this member's data began */
  offset: number;
}

/** Where and why reading stopped early. */
export interface ReadFailure {
  message: string;
  /** compressed bytes consumed when it failed (equals the uncompressed offset for a plain tar) */
  compressedOffset: number;
  uncompressedOffset: number;
  /** the member being read, if the failure was inside one */
  member?: string;
  /** the reader was stopped on purpose (a limit), not by damage */
  stopped?: boolean;
  /** the stop was this machine's doing (no room in the temp folder): no verdict on the archive */
  environment?: boolean;
}

export interface ReadSummary extends ArchiveTotals {
  failure?: ReadFailure;
}

const TYPES: Record<string, EntryType> = {
  file: 'file', 'contiguous-file': 'file', directory: 'directory', symlink: 'symlink', link: 'link',
  'character-device': 'character-device', 'block-device': 'block-device', fifo: 'fifo',
};

/** How often the watchdog looks for progress once the input has ended. */
const STALL_CHECK_MS = 1000;

/** A member without content. */
const EMPTY: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };

/**
 * Reads a tar archive (compressed or not) once, from one open descriptor,
 * handing each member's content to `onEntry`, which must consume it. Never
 * throws for a damaged archive: where it stopped, and why, is in the summary.
 */
export async function readTar(
  handle: BackupHandle,
  file: string,
  kind: ArchiveKind,
  fileSize: number,
  onEntry: (entry: ArchiveEntry, content: EntryContent) => Promise<void>,
  opts: { signal?: AbortSignal; onRead?: (compressedBytes: number) => void } = {},
): Promise<ReadSummary> {
  const { signal } = opts;
  const input = readBackup(handle);
  const dec = await decompress(input, kind.compression, file);
  // Attached once the input is connected to the decompressor: a listener starts the flow.
  let read = 0;
  input.on('data', (chunk: string | Buffer) => opts.onRead?.((read += chunk.length)));
  const extract = tar.extract();
  let uncompressed = 0;
  let entries = 0;
  let contentBytes = 0;
  let current: string | undefined;
  let failure: ReadFailure | undefined;
  const fail = (message: string) => {
    failure ??= { message, compressedOffset: dec.consumed(), uncompressedOffset: uncompressed, member: current };
  };

  dec.output.on('data', (chunk: Buffer) => (uncompressed += chunk.length));
  dec.output.on('error', (err: Error) => fail(err.message));
  const removeListener = onAbort(signal, () => {
    fail('interrupted');
    input.destroy();
    extract.destroy();
  });

  // The member being handed over: its outcome must be known before the summary is.
  let inFlight: Promise<void> = Promise.resolve();
  let finished = false;
  /** members handed over so far (the watchdog's measure of progress, with the bytes) */
  let progress = 0;
  await new Promise<void>((resolve) => {
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    extract.on('entry', (header, stream, next) => {
      const entry: ArchiveEntry = {
        path: header.name,
        type: TYPES[header.type ?? 'file'] ?? 'other',
        size: header.size ?? 0,
        mode: header.mode ?? 0,
        linkname: header.linkname ?? undefined,
        mtime: header.mtime,
        offset: uncompressed,
      };
      current = entry.path;
      stream.on('error', (err: Error) => fail(err.message));
      // tar-stream hands a directory member a stream that never ends when its header
      // states a size (Go's hdr-only.tar): a directory has no content, so none is read.
      const content = entry.type === 'directory' ? (EMPTY as unknown as EntryContent) : (stream as unknown as EntryContent);
      if (entry.type === 'directory') stream.resume();
      progress++;
      inFlight = onEntry(entry, content).then(
        () => {
          entries++;
          contentBytes += entry.size;
          current = undefined;
          next();
        },
        (err: Error) => {
          // Damage reaches the consumer as an error too; only its own errors (limits) are a stop.
          const damaged = failure !== undefined;
          fail(err.message);
          if (!damaged) {
            failure!.stopped = true;
            failure!.environment = (err as { environment?: boolean }).environment === true;
          }
          stream.resume();
          extract.destroy();
          done();
        },
      );
    });
    extract.on('finish', () => {
      finished = true;
      done();
    });
    // A watchdog: once every byte has been decompressed, the parser must keep
    // moving (members handed over, bytes taken) until it finishes. A parser
    // that stops without ending would leave no verdict at all (the process
    // used to exit 13 with nothing printed): that is reported where it stopped.
    dec.output.once('end', () => {
      let seen = -1;
      const watch = setInterval(() => {
        if (settled) return clearInterval(watch);
        const now = progress + uncompressed;
        if (now === seen) {
          clearInterval(watch);
          fail(`the archive could not be read past byte ${uncompressed}: the tar reader stopped without reaching the end`);
          extract.destroy();
          done();
        }
        seen = now;
      }, STALL_CHECK_MS);
    });
    extract.on('close', done);
    extract.on('error', (err: Error) => {
      fail(err.message === 'Unexpected end of data' ? 'the archive ends without its end-of-archive marker (cut short)' : err.message);
      done();
    });
    dec.output.on('error', () => {
      extract.destroy();
      done();
    });
    dec.output.pipe(extract);
  });
  removeListener();
  await inFlight.catch(() => {});
  dec.rethrowReadError();
  if (!finished) fail('reading stopped before the end of the archive');
  input.destroy();
  await dec.finished;
  const problem = dec.problem();
  if (problem) fail(problem);
  const compressedBytes = kind.compression === 'none' ? uncompressed : dec.consumed();
  // zlib stops at the end of the gzip stream: anything after it is not part of the backup's data.
  const trailingBytes = !failure && kind.compression === 'gzip' ? Math.max(0, fileSize - compressedBytes) : 0;
  return { entries, contentBytes, compressedBytes, uncompressedBytes: uncompressed, complete: !failure, trailingBytes, failure };
}
