import { basename } from 'node:path';
import { EXIT, RestorableError } from '../errors.js';
import { decompress } from './decompress.js';
import { openArchive } from './open-archive.js';
import { readBackup } from './read-stream.js';
import { parseTar, type TarEnd } from './tar-parse.js';
import type { ArchiveEntry } from './tar-member.js';
import { DeflatePointMaker, type RestartPoint } from '../salvage/deflate-points.js';
import { framePoints } from '../salvage/frame-points.js';

/**
 * NAME.contents.json, written at manifest time (`manifest --contents`): each
 * member's path, type, size, mode, exact offset in the uncompressed stream
 * and sha256, plus checkpoints pairing compressed and uncompressed offsets.
 * With it, damage found in a compressed archive's bytes can be named by
 * member, and a test restore can check every file's content.
 */
export interface ContentMember {
  path: string;
  type: string;
  size: number;
  mode: number;
  /** where the member's data starts in the uncompressed stream */
  offset: number;
  sha256?: string;
}

export interface ContentIndex {
  file: string;
  format: string;
  file_size: number;
  uncompressed_size: number;
  created_at: string;
  members: ContentMember[];
  /** compressed and uncompressed offsets read together, about every 64 KiB of output */
  checkpoints: { compressed: number; uncompressed: number }[];
  /** where decoding can start afresh after damage (gzip, zstd, xz) */
  restart_points?: RestartPoint[];
}

/** Uncompressed bytes between checkpoints: fine enough to name the member damage falls in. */
const CHECKPOINT_EVERY = 64 * 1024;

export async function buildContentIndex(file: string, opts: { restartPoints?: boolean } = {}): Promise<ContentIndex> {
  const withPoints = opts.restartPoints !== false;
  const { handle, before, compression, container, format } = await openArchive(file);
  try {
    if (container !== 'tar') throw new RestorableError(`${file}: a content index is for tar archives`);
    // Small output pieces: each checkpoint pairs the two offsets within 16 KiB.
    const deflatePoints = withPoints && compression === 'gzip' ? new DeflatePointMaker() : undefined;
    const dec = await decompress(readBackup(handle), compression, file, { chunkSize: 16 * 1024, observer: deflatePoints });
    const checkpoints: ContentIndex['checkpoints'] = [{ compressed: 0, uncompressed: 0 }];
    let produced = 0;
    let nextCheckpoint = CHECKPOINT_EVERY;
    const counted = async function* () {
      for await (const chunk of dec.output as AsyncIterable<Buffer>) {
        produced += chunk.length;
        deflatePoints?.observe(chunk);
        if (produced >= nextCheckpoint) {
          checkpoints.push({ compressed: dec.consumed(), uncompressed: produced });
          nextCheckpoint = produced + CHECKPOINT_EVERY;
        }
        yield chunk;
      }
    };
    // The same reader as the deep check's: the index describes the archive as it will be judged.
    const entries: ArchiveEntry[] = [];
    let end: TarEnd;
    try {
      const members = parseTar(counted(), { sha256: true });
      for (;;) {
        const next = await members.next();
        if (next.done) {
          end = next.value;
          break;
        }
        entries.push(next.value.entry);
      }
    } catch (err) {
      dec.rethrowReadError();
      await dec.finished;
      throw new RestorableError(`${file}: ${dec.problem() ?? (err instanceof Error ? err.message : String(err))}`, EXIT.integrity);
    }
    await dec.finished;
    const problem = dec.problem();
    if (problem) throw new RestorableError(`${file}: ${problem}`, EXIT.integrity);
    if (!end.endMarker) throw new RestorableError(`${file}: the archive ends without its end-of-archive marker`, EXIT.integrity);
    const members = entries.map((e): ContentMember => ({ path: e.path, type: e.type, size: e.size, mode: e.mode, offset: e.offset, ...(e.facts?.sha256 ? { sha256: e.facts.sha256 } : {}) }));
    const restart = !withPoints ? undefined : (deflatePoints?.finish() ?? (await framePoints(handle, before.size, compression)));
    return {
      file: basename(file),
      format,
      file_size: before.size,
      uncompressed_size: produced,
      created_at: new Date().toISOString(),
      members,
      checkpoints,
      ...(restart?.length ? { restart_points: restart } : {}),
    };
  } finally {
    await handle.close();
  }
}
