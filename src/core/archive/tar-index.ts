import type { BackupHandle } from '../storage/backup-handle.js';
import { BLOCK, decodeHeader, decodeSparseExtension, isZeroBlock, padded } from './tar-format.js';
import { PaxState, describe, hasData } from './tar-member.js';

/** Where a member of an uncompressed tar lies: its header and its data, in bytes of the file. */
export interface MemberExtent {
  path: string;
  /** where its headers start: a pax or GNU long-name header before its own is part of it */
  headerOffset: number;
  dataOffset: number;
  size: number;
}

/**
 * The exact byte extents of every member of an uncompressed tar, read from
 * its headers alone (data is skipped), so a damaged byte range can be named
 * by the members it falls in. Stops quietly at the first header it cannot
 * read: what comes after is unknown.
 */
export async function indexPlainTar(handle: BackupHandle, fileSize: number, limit = 1_000_000): Promise<MemberExtent[]> {
  const out: MemberExtent[] = [];
  const block = Buffer.alloc(BLOCK);
  const pax = new PaxState();
  let position = 0;
  let extendedFrom: number | undefined;
  const readData = async (at: number, size: number) => {
    const data = Buffer.alloc(Math.min(size, 1 << 20));
    await handle.read(data, 0, data.length, at);
    return data;
  };
  while (position + BLOCK <= fileSize && out.length < limit) {
    const { bytesRead } = await handle.read(block, 0, BLOCK, position);
    if (bytesRead < BLOCK || isZeroBlock(block)) break;
    let header;
    try {
      header = decodeHeader(block);
    } catch {
      break;
    }
    let dataOffset = position + BLOCK;
    const flag = header.typeflag;
    if (PaxState.describes(flag)) {
      extendedFrom ??= position;
      pax.take(flag, await readData(dataOffset, header.size));
      position = dataOffset + padded(header.size);
      continue;
    }
    // GNU sparse extension blocks sit between the header and the data.
    for (let more = header.sparse?.extended ?? false; more && dataOffset + BLOCK <= fileSize; dataOffset += BLOCK) {
      await handle.read(block, 0, BLOCK, dataOffset);
      more = decodeSparseExtension(block).extended;
    }
    const entry = describe(header, pax, position, dataOffset);
    const size = hasData(flag) ? entry.storedSize : 0;
    out.push({ path: entry.path, headerOffset: extendedFrom ?? position, dataOffset, size });
    extendedFrom = undefined;
    pax.next();
    position = dataOffset + padded(size);
  }
  return out;
}

/** The members whose header or data overlap [offset, offset + length). */
export function membersIn(extents: MemberExtent[], offset: number, length: number): string[] {
  const end = offset + length;
  return extents.filter((m) => m.headerOffset < end && m.dataOffset + m.size > offset).map((m) => m.path);
}

export type MemberPart = 'header' | 'data' | 'padding';

/**
 * The member a byte of an uncompressed tar belongs to, and which part of it:
 * its header (with any pax or long-name header before it), its data, or the
 * padding to the next 512-byte boundary. Undefined past the last member (the
 * end-of-archive blocks). `extents` in file order, as indexPlainTar gives them.
 */
export function memberAt(extents: MemberExtent[], offset: number): { member: MemberExtent; index: number; part: MemberPart } | undefined {
  // The first member that ends after `offset` (members end in file order): a binary search.
  let lo = 0;
  let hi = extents.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = extents[mid]!;
    if (m.dataOffset + padded(m.size) > offset) hi = mid;
    else lo = mid + 1;
  }
  const member = extents[lo];
  if (!member || offset < 0) return undefined;
  const part: MemberPart = offset < member.dataOffset ? 'header' : offset < member.dataOffset + member.size ? 'data' : 'padding';
  return { member, index: lo, part };
}
