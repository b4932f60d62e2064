/**
 * The tar header, decoded as GNU tar and Python's tarfile decode it: V7,
 * ustar (POSIX) and GNU headers, octal numbers with leading spaces or NULs,
 * base-256 numbers, signed and unsigned checksums, pax records and the GNU
 * sparse maps. Pure functions over 512-byte blocks; the streaming is in
 * tar-parse.ts.
 */

export const BLOCK = 512;

/** A piece of a sparse file that holds data: the rest reads as zeros. */
export interface Extent {
  offset: number;
  length: number;
}

export interface TarHeader {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  format: 'ustar' | 'gnu' | 'v7';
  /** GNU old-format sparse member ('S'): the map in the header, and whether extension blocks follow */
  sparse?: { extents: Extent[]; realSize: number; extended: boolean };
}

/** A header we cannot decode: the damage is here. */
export class BadHeader extends Error {}

/** A NUL-terminated string (or one that fills its field), as tar stores names. */
export function cString(raw: Buffer): string {
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end < 0 ? raw.length : end);
}

function text(block: Buffer, start: number, length: number): string {
  return cString(block.subarray(start, start + length));
}

/**
 * A numeric field: octal digits, optionally led by spaces or NULs and ended
 * by a space or NUL (old tars pad both ways), or GNU's base-256 (first byte
 * 0x80 positive, 0xff negative). Undefined when it is neither.
 */
export function numberField(block: Buffer, start: number, length: number): number | undefined {
  const first = block[start]!;
  if (first === 0x80 || first === 0xff) {
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + (first === 0xff ? 0xff - block[i]! : block[i]!);
    return first === 0xff ? -n - 1 : n;
  }
  let i = start;
  const end = start + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let n = 0;
  let digits = 0;
  for (; i < end && block[i]! >= 0x30 && block[i]! <= 0x37; i++, digits++) n = n * 8 + (block[i]! - 0x30);
  for (; i < end; i++) if (block[i] !== 0x20 && block[i] !== 0) return undefined;
  return digits === 0 ? 0 : n;
}

/** Unsigned and signed sums of the header with its checksum field as spaces: old tars wrote the signed one. */
function checksums(block: Buffer): [number, number] {
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return [unsigned, signed];
}

export function isZeroBlock(block: Buffer): boolean {
  return block.equals(ZERO_BLOCK);
}
const ZERO_BLOCK = Buffer.alloc(BLOCK);

function sparseEntries(block: Buffer, start: number, count: number): Extent[] {
  const out: Extent[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + i * 24;
    if (block[at] === 0) break;
    const offset = numberField(block, at, 12);
    const length = numberField(block, at + 12, 12);
    if (offset === undefined || length === undefined || offset < 0 || length < 0) throw new BadHeader('a sparse map entry is not a number');
    out.push({ offset, length });
  }
  return out;
}

/** A GNU sparse extension block: 21 more map entries and whether another block follows. */
export function decodeSparseExtension(block: Buffer): { extents: Extent[]; extended: boolean } {
  return { extents: sparseEntries(block, 0, 21), extended: block[504] !== 0 };
}

/** Decodes one header block (not a zero block). Throws BadHeader when its checksum or size is wrong. */
export function decodeHeader(block: Buffer): TarHeader {
  const stored = numberField(block, 148, 8);
  const [unsigned, signed] = checksums(block);
  if (stored === undefined || (stored !== unsigned && stored !== signed)) throw new BadHeader('a header fails its checksum');
  const size = numberField(block, 124, 12);
  if (size === undefined || size < 0) throw new BadHeader('a header has an unreadable size');
  const magic = block.toString('latin1', 257, 263);
  const version = block.toString('latin1', 263, 265);
  const format = magic === 'ustar\0' ? 'ustar' : magic === 'ustar ' && version === ' \0' ? 'gnu' : 'v7';
  let name = text(block, 0, 100);
  // Only POSIX ustar has a prefix; GNU keeps times and the sparse map there.
  if (format === 'ustar' && block[345] !== 0) name = `${text(block, 345, 155)}/${name}`;
  let typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  // V7 marked directories only by a trailing slash.
  if ((typeflag === '0' || typeflag === '7') && name.endsWith('/')) typeflag = '5';
  const header: TarHeader = {
    name,
    mode: (numberField(block, 100, 8) ?? 0) & 0o7777,
    size,
    mtime: numberField(block, 136, 12) ?? 0,
    typeflag,
    linkname: text(block, 157, 100),
    format,
  };
  if (typeflag === 'S') {
    const realSize = numberField(block, 483, 12);
    if (realSize === undefined || realSize < 0) throw new BadHeader('a sparse header has an unreadable real size');
    header.sparse = { extents: sparseEntries(block, 386, 4), realSize, extended: block[482] !== 0 };
  }
  return header;
}

/**
 * The records of a pax extended header ("LEN key=value\n"), in order
 * (GNU's sparse format 0.0 repeats keys). Parsing stops quietly at padding
 * or a record that is not well formed, as tar does; an empty value is kept
 * (it unsets the keyword).
 */
export function paxRecords(data: Buffer): [string, string][] {
  const out: [string, string][] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(data.toString('latin1', at, space));
    if (!Number.isInteger(len) || len <= space - at + 1 || at + len > data.length || data[at + len - 1] !== 0x0a) break;
    const record = data.toString('utf8', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.push([record.slice(0, eq), record.slice(eq + 1)]);
    at += len;
  }
  return out;
}

/** Bytes a member's data takes in the archive, padding included. */
export function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
