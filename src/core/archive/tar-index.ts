import type { BackupHandle } from '../storage/backup-handle.js';
import { BLOCK, decodeHeader, decodeSparseExtension, isZeroBlock, padded } from './tar-format.js';
import { PaxState, describe, hasData } from './tar-member.js';

/** Where a member of an uncompressed tar lies: its header and its data, in bytes of the file. */
export interface MemberExtent {
  path: string;
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
    out.push({ path: entry.path, headerOffset: position, dataOffset, size });
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
