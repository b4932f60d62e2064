import type { BackupHandle } from '../storage/backup-handle.js';
import { decodeHeader, isZeroBlock } from './tar-format.js';

/** What a backup file is, by its first bytes (the name only breaks ties). */
export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'lz4' | 'lzop' | 'compress' | 'lzip' | 'lzma';
export type Container = 'tar' | 'sql' | 'pg-custom' | 'sqlite' | 'unknown';

export interface ArchiveKind {
  compression: Compression;
  container: Container;
}

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
  ['lzop', [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['compress', [0x1f, 0x9d]],
  ['lzip', [0x4c, 0x5a, 0x49, 0x50]],
  // .lzma has no magic, only a usual first byte (lc/lp/pb = 3/0/2) and a dictionary size: the name decides.
];

export function compressionOf(head: Uint8Array, name = ''): Compression {
  for (const [kind, bytes] of MAGIC) if (bytes.every((b, i) => head[i] === b)) return kind;
  if (head[0] === 0x5d && /\.(lzma|tlz)$/i.test(name)) return 'lzma';
  return 'none';
}

/** A tar header: ustar's magic, or (V7) a block whose checksum holds. */
function looksLikeTar(head: Uint8Array): boolean {
  if (head.length < 512) return false;
  const block = Buffer.from(head.buffer, head.byteOffset, 512);
  if (block.toString('latin1', 257, 262) === 'ustar') return true;
  try {
    decodeHeader(block);
    return !isZeroBlock(block);
  } catch {
    return false;
  }
}

/** Every short name for a compressed tar: .tgz, .tbz, .tbz2, .tb2, .tzst, .txz, .tlz4, .tlz, .taz, .tZ. */
const TAR_NAME = /\.(tar(\.[a-z0-9]+)?|tgz|taz|tz|tbz|tbz2|tb2|tzst|tzs|txz|tlz4|tlz|tlzma)$/;

/** The container inside, from the decompressed first bytes (the name only when they cannot tell). */
export function containerOf(head: Uint8Array, name: string): Container {
  if (looksLikeTar(head)) return 'tar';
  if (Buffer.from(head.subarray(0, 5)).toString('latin1') === 'PGDMP') return 'pg-custom';
  if (Buffer.from(head.subarray(0, 16)).toString('latin1') === 'SQLite format 3\0') return 'sqlite';
  const lower = name.toLowerCase();
  if (TAR_NAME.test(lower)) return 'tar';
  if (/\.sql(\.[a-z0-9]+)?$/.test(lower)) return 'sql';
  if (/\.(dump|pgdump)$/.test(lower)) return 'pg-custom';
  return 'unknown';
}

export async function readHead(handle: BackupHandle, length = 512): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, 0);
  return buf.subarray(0, bytesRead);
}

/** The archives the deep check and the restore test read, in words for messages and help. */
export const TAR_FORMATS = 'tar, plain or compressed with gzip, zstd, xz, bzip2, lz4, lzop, lzip, lzma or compress (.Z)';
