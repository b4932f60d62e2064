import type { BackupHandle } from '../storage/backup-handle.js';
import { readBackup } from './read-stream.js';
import { decompress, type Decompressor } from './decompress.js';
import { onAbort } from '../errors.js';
import type { ArchiveTotals } from '../events/types.js';
import type { ArchiveKind } from './detect.js';
import { TarDamage, parseTar, type EntryContent, type TarEnd } from './tar-parse.js';
import type { ArchiveEntry } from './tar-member.js';

export type { ArchiveEntry, EntryType } from './tar-member.js';
export type { EntryContent } from './tar-parse.js';

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
  /** the compressed stream failed its own check (gzip's CRC or length; a program failing once the whole archive was out) */
  checksum?: boolean;
}

export interface ReadSummary extends ArchiveTotals {
  failure?: ReadFailure;
  /** how the tar stream ended, when it was read to its end */
  end?: TarEnd;
  /** a decompressor program's words on data after its stream (bzip2, lzop) */
  trailingNote?: string;
}

/** An error of the decompressed stream itself (the decompressor found damage). */
class SourceError extends Error {}

/** The decompressor's words, said as what they mean for the backup. */
function sourceMessage(err: Error, compression: string, consumed: number): { message: string; checksum?: boolean } {
  const m = err.message;
  if (/incorrect data check|incorrect length check/.test(m)) return { message: `the ${compression} stream fails its ${m.includes('length') ? 'length' : 'CRC'} check: the data is damaged somewhere before byte ${consumed} of the file`, checksum: true };
  if (/unexpected end of file/.test(m)) return { message: `the ${compression} stream is cut short at byte ${consumed} of the file` };
  return { message: m.startsWith(`${compression}:`) ? m : `${compression}: ${m}` };
}

/** The decompressed bytes, counted; a failure of the decompressor is marked as such. */
async function* counted(dec: Decompressor, count: (n: number) => void): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of dec.output as AsyncIterable<Buffer>) {
      count(chunk.length);
      yield chunk;
    }
  } catch (err) {
    throw new SourceError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Reads a tar archive (compressed or not) once, from one open descriptor,
 * handing each member's content to `onEntry`, which reads it (or leaves it:
 * the parser skips the rest). `onMember` hears of each member once its
 * content has been read to its end (its facts: size, digest, zeros). Never
 * throws for a damaged archive: where it stopped, and why, is in the summary.
 */
export async function readTar(
  handle: BackupHandle,
  file: string,
  kind: ArchiveKind,
  fileSize: number,
  onEntry: (entry: ArchiveEntry, content: EntryContent) => Promise<void>,
  opts: { signal?: AbortSignal; onRead?: (compressedBytes: number) => void; onMember?: (entry: ArchiveEntry) => void; sha256?: boolean } = {},
): Promise<ReadSummary> {
  const input = readBackup(handle);
  const dec = await decompress(input, kind.compression, file);
  // Attached once the input is connected to the decompressor: a listener starts the flow.
  let read = 0;
  input.on('data', (chunk: string | Buffer) => opts.onRead?.((read += chunk.length)));
  let uncompressed = 0;
  let entries = 0;
  let contentBytes = 0;
  let current: ArchiveEntry | undefined;
  let failure: ReadFailure | undefined;
  let end: TarEnd | undefined;
  // Both ends: a piped output is not ended by its input's destruction.
  const removeListener = onAbort(opts.signal, () => {
    input.destroy();
    dec.output.destroy();
  });
  const members = parseTar(counted(dec, (n) => (uncompressed += n)), { sha256: opts.sha256 });
  /** the member handed over is done once the parser has moved past it */
  const settle = () => {
    if (!current) return;
    entries++;
    contentBytes += current.size;
    opts.onMember?.(current);
    current = undefined;
  };
  try {
    for (;;) {
      const next = await members.next();
      settle();
      if (next.done) {
        end = next.value;
        break;
      }
      current = next.value.entry;
      await onEntry(current, next.value.content);
    }
  } catch (err) {
    // A member read to its end before the failure (a stream check that fails at the very end) counts.
    if (current?.facts) settle();
    const at = { compressedOffset: kind.compression === 'none' ? uncompressed : dec.consumed(), uncompressedOffset: uncompressed, member: current?.path };
    if (opts.signal?.aborted) failure = { message: 'interrupted', ...at, stopped: true };
    else if (err instanceof TarDamage) failure = { message: err.message, ...at, uncompressedOffset: err.offset };
    else if (err instanceof SourceError) failure = { ...sourceMessage(err, kind.compression, at.compressedOffset), ...at };
    else {
      // The consumer stopped: a limit, or this machine (a full disk, a folder we may not write).
      const environment = (err as { environment?: boolean }).environment === true || typeof (err as NodeJS.ErrnoException).code === 'string';
      failure = { message: err instanceof Error ? err.message : String(err), ...at, stopped: true, environment };
    }
    await members.return(undefined as never).catch(() => {});
  }
  removeListener();
  dec.rethrowReadError();
  input.destroy();
  await dec.finished;
  const problem = dec.problem();
  // A program's exit status says why its output ended early better than the tar parser can;
  // one that fails once the whole archive was read says so.
  const afterEnd = !failure && end?.endMarker ? ` (after the end of the archive: every member was read to its end)` : '';
  if (problem && kind.compression !== 'gzip' && !failure?.stopped) failure = { compressedOffset: dec.consumed(), uncompressedOffset: uncompressed, ...failure, message: `${problem}${afterEnd}`, ...(afterEnd ? { checksum: true } : {}) };
  const compressedBytes = kind.compression === 'none' ? uncompressed : dec.consumed();
  // zlib stops at the end of the gzip stream: anything after it is not part of the backup's data.
  const trailingBytes = !failure && kind.compression === 'gzip' ? Math.max(0, fileSize - compressedBytes) : 0;
  return { entries, contentBytes, compressedBytes, uncompressedBytes: uncompressed, complete: !failure, trailingBytes, failure, end, trailingNote: dec.trailing?.() };
}
