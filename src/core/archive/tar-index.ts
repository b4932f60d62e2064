import type { BackupHandle } from '../storage/backup-handle.js';

/** Where a member of an uncompressed tar lies: its header and its data, in bytes of the file. */
export interface MemberExtent {
  path: string;
  headerOffset: number;
  dataOffset: number;
  size: number;
}

const BLOCK = 512;

function field(buf: Buffer, start: number, length: number): string {
  const raw = buf.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

/** Size field: octal, or GNU base-256 for large members. */
function sizeOf(header: Buffer): number {
  const raw = header.subarray(124, 136);
  if (raw[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < raw.length; i++) n = n * 256 + raw[i]!;
    return n;
  }
  return parseInt(field(header, 124, 12).trim() || '0', 8);
}

/** "path=…" from a pax extended header's records. */
function paxPath(data: Buffer): string | undefined {
  for (const record of data.toString('utf8').split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(record);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * The exact byte extents of every member of an uncompressed tar, read from
 * its headers alone (data is skipped), so a damaged byte range can be named
 * by the members it falls in. Stops quietly at the first header it cannot
 * read: what comes after is unknown.
 */
export async function indexPlainTar(handle: BackupHandle, fileSize: number, limit = 1_000_000): Promise<MemberExtent[]> {
  const out: MemberExtent[] = [];
  const header = Buffer.alloc(BLOCK);
  let position = 0;
  let longName: string | undefined;
  while (position + BLOCK <= fileSize && out.length < limit) {
    const { bytesRead } = await handle.read(header, 0, BLOCK, position);
    if (bytesRead < BLOCK || header.every((b) => b === 0)) break;
    const size = sizeOf(header);
    if (!Number.isFinite(size) || size < 0) break;
    const type = String.fromCharCode(header[156]!);
    const dataOffset = position + BLOCK;
    const next = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L') {
      const data = Buffer.alloc(Math.min(size, 1 << 20));
      await handle.read(data, 0, data.length, dataOffset);
      longName = type === 'x' ? (paxPath(data) ?? longName) : field(data, 0, data.length);
    } else if (type !== 'g') {
      const prefix = field(header, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      out.push({ path: name, headerOffset: position, dataOffset, size });
      longName = undefined;
    }
    position = next;
  }
  return out;
}

/** The members whose header or data overlap [offset, offset + length). */
export function membersIn(extents: MemberExtent[], offset: number, length: number): string[] {
  const end = offset + length;
  return extents.filter((m) => m.headerOffset < end && m.dataOffset + m.size > offset).map((m) => m.path);
}
