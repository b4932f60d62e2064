import { createHash, type Hash } from 'node:crypto';
import { basename } from 'node:path';
import { EXIT, RestorableError } from '../errors.js';
import { decompress } from './decompress.js';
import { openArchive } from './open-archive.js';
import { readBackup } from './read-stream.js';

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
}

const BLOCK = 512;
/** Uncompressed bytes between checkpoints: fine enough to name the member damage falls in. */
const CHECKPOINT_EVERY = 64 * 1024;
const TYPES: Record<string, string> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'character-device', '4': 'block-device', '5': 'directory', '6': 'fifo' };

function text(buf: Buffer, start: number, length: number): string {
  const raw = buf.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(buf: Buffer, start: number, length: number): number {
  if (buf[start]! & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + buf[i]!;
    return n;
  }
  return parseInt(text(buf, start, length).trim() || '0', 8);
}

/** A tar parser that keeps exact offsets: headers, long names (GNU and pax), data, padding. */
class TarWalker {
  readonly members: ContentMember[] = [];
  private pending = Buffer.alloc(0);
  private position = 0;
  private dataLeft = 0;
  private padLeft = 0;
  private hash: Hash | undefined;
  private longNameData: Buffer[] | undefined;
  private longNameKind: string | undefined;
  private longName: string | undefined;
  private current: ContentMember | undefined;
  ended = false;

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.dataLeft > 0) {
        const take = Math.min(this.dataLeft, chunk.length - at);
        const piece = chunk.subarray(at, at + take);
        this.hash?.update(piece);
        this.longNameData?.push(Buffer.from(piece));
        this.dataLeft -= take;
        at += take;
        this.position += take;
        if (this.dataLeft === 0) this.endData();
        continue;
      }
      if (this.padLeft > 0) {
        const take = Math.min(this.padLeft, chunk.length - at);
        this.padLeft -= take;
        at += take;
        this.position += take;
        continue;
      }
      const need = BLOCK - this.pending.length;
      const take = Math.min(need, chunk.length - at);
      this.pending = Buffer.concat([this.pending, chunk.subarray(at, at + take)]);
      at += take;
      this.position += take;
      if (this.pending.length === BLOCK) {
        const header = this.pending;
        this.pending = Buffer.alloc(0);
        this.header(header);
      }
    }
  }

  private header(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    const size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156]!);
    this.dataLeft = size;
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    if (flag === 'x' || flag === 'L' || flag === 'g') {
      this.longNameKind = flag;
      this.longNameData = [];
      this.hash = undefined;
      this.current = undefined;
    } else {
      const prefix = text(h, 345, 155);
      const name = this.longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
      this.longName = undefined;
      this.current = { path: name, type: TYPES[flag] ?? 'other', size, mode: octal(h, 100, 8), offset: this.position };
      this.members.push(this.current);
      this.hash = this.current.type === 'file' ? createHash('sha256') : undefined;
    }
    if (size === 0) this.endData();
  }

  private endData(): void {
    if (this.longNameData) {
      const data = Buffer.concat(this.longNameData);
      if (this.longNameKind === 'L') this.longName = text(data, 0, data.length);
      else if (this.longNameKind === 'x') this.longName = /(?:^|\n)\d+ path=([^\n]*)/.exec(data.toString('utf8'))?.[1] ?? this.longName;
      this.longNameData = undefined;
    } else if (this.current && this.hash) {
      this.current.sha256 = this.hash.digest('hex');
    }
    this.hash = undefined;
  }
}

export async function buildContentIndex(file: string): Promise<ContentIndex> {
  const { handle, before, compression, container, format } = await openArchive(file);
  try {
    if (container !== 'tar') throw new RestorableError(`${file}: a content index is for tar archives`);
    // Small output pieces: each checkpoint pairs the two offsets within 16 KiB.
    const dec = await decompress(readBackup(handle), compression, file, { chunkSize: 16 * 1024 });
    const walker = new TarWalker();
    const checkpoints: ContentIndex['checkpoints'] = [{ compressed: 0, uncompressed: 0 }];
    let produced = 0;
    let nextCheckpoint = CHECKPOINT_EVERY;
    for await (const chunk of dec.output as AsyncIterable<Buffer>) {
      walker.push(chunk);
      produced += chunk.length;
      if (produced >= nextCheckpoint) {
        checkpoints.push({ compressed: dec.consumed(), uncompressed: produced });
        nextCheckpoint = produced + CHECKPOINT_EVERY;
      }
    }
    await dec.finished;
    const problem = dec.problem();
    if (problem) throw new RestorableError(`${file}: ${problem}`, EXIT.integrity);
    if (!walker.ended) throw new RestorableError(`${file}: the archive ends without its end-of-archive marker`, EXIT.integrity);
    return { file: basename(file), format, file_size: before.size, uncompressed_size: produced, created_at: new Date().toISOString(), members: walker.members, checkpoints };
  } finally {
    await handle.close();
  }
}

/**
 * Members a damaged range of the compressed file affects. Compressed data
 * cannot be resumed past damage, so it is the member being decompressed at
 * the last checkpoint before the range, and every member after it.
 */
export function membersAffected(index: ContentIndex, offset: number): { first?: string; count: number } {
  const cp = [...index.checkpoints].reverse().find((c) => c.compressed <= offset) ?? index.checkpoints[0]!;
  const affected = index.members.filter((m) => m.offset + m.size > cp.uncompressed);
  return { first: affected[0]?.path, count: affected.length };
}
