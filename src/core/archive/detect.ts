import type { BackupHandle } from '../storage/backup-handle.js';

/** What a backup file is, by its first bytes (the name only breaks ties). */
export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';
export type Container = 'tar' | 'sql' | 'pg-custom' | 'unknown';

export interface ArchiveKind {
  compression: Compression;
  container: Container;
}

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
];

export function compressionOf(head: Uint8Array): Compression {
  for (const [name, bytes] of MAGIC) if (bytes.every((b, i) => head[i] === b)) return name;
  return 'none';
}

/** The container inside, from the (decompressed) first bytes and the name. */
export function containerOf(head: Uint8Array, name: string): Container {
  if (head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar') return 'tar';
  if (Buffer.from(head.subarray(0, 5)).toString('latin1') === 'PGDMP') return 'pg-custom';
  const lower = name.toLowerCase();
  if (/\.(tar|tgz|tbz2|txz)(\.[a-z0-9]+)?$/.test(lower)) return 'tar';
  if (/\.sql(\.[a-z0-9]+)?$/.test(lower)) return 'sql';
  if (/\.(dump|pgdump)$/.test(lower)) return 'pg-custom';
  return 'unknown';
}

export async function readHead(handle: BackupHandle, length = 512): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, 0);
  return buf.subarray(0, bytesRead);
}
