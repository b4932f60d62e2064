import { BadHeader, cString, paxRecords, type Extent, type TarHeader } from './tar-format.js';

export type EntryType = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo' | 'other';

/** What reading a member's content found (set once its content has been read to its end). */
export interface ContentFacts {
  bytes: number;
  /** every byte was zero (and there was at least one) */
  allZero: boolean;
  sha256?: string;
}

export interface ArchiveEntry {
  path: string;
  type: EntryType;
  /** the file's size as restored (a sparse file's real size) */
  size: number;
  mode: number;
  linkname?: string;
  mtime?: Date;
  /** bytes of the uncompressed stream before this member's header, and before its data */
  headerOffset: number;
  offset: number;
  /** bytes of data the archive holds for it (less than `size` for a sparse file) */
  storedSize: number;
  /** a sparse file: where its data lies; the rest is zeros */
  sparse?: Extent[];
  /** a type tar does not know, read as a regular file as GNU tar does */
  unknownType?: string;
  /** set when the content has been read to its end */
  facts?: ContentFacts;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file', '7': 'file', S: 'file', '1': 'link', '2': 'symlink', '3': 'character-device', '4': 'block-device', '5': 'directory', D: 'directory', '6': 'fifo', M: 'other',
};

/** Types whose stated size GNU tar does not skip: a directory never has data (Go's hdr-only.tar gives one a size). */
export function hasData(typeflag: string): boolean {
  return typeflag !== '5';
}

/** The pax keywords in force for one member: global ones, then its own (an empty value unsets). */
export class PaxState {
  private readonly globals = new Map<string, string>();
  private local: [string, string][] = [];
  longName?: string;
  longLink?: string;

  /** Whether a header's type is one of the metadata members `take` reads: pax records or a GNU long name or link. */
  static describes(typeflag: string): boolean {
    return typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K';
  }

  /** Takes a metadata member's data: for the next member (x, L, K) or for all that follow (g). */
  take(typeflag: string, data: Buffer): void {
    if (typeflag === 'x') this.local.push(...paxRecords(data));
    else if (typeflag === 'g') for (const [k, v] of paxRecords(data)) v === '' ? this.globals.delete(k) : this.globals.set(k, v);
    else if (typeflag === 'L') this.longName = cString(data);
    else if (typeflag === 'K') this.longLink = cString(data);
  }

  /** The value in force for a keyword, or undefined. */
  get(key: string): string | undefined {
    for (let i = this.local.length - 1; i >= 0; i--) if (this.local[i]![0] === key) return this.local[i]![1] || undefined;
    return this.globals.get(key);
  }

  /** Every value of a keyword, in order (GNU sparse 0.0 repeats offset and numbytes). */
  all(key: string): string[] {
    return this.local.filter(([k]) => k === key).map(([, v]) => v);
  }

  /** Forgets what applied to the member just read. */
  next(): void {
    this.local = [];
    this.longName = undefined;
    this.longLink = undefined;
  }
}

function count(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new BadHeader(`a pax record has an unreadable ${what} (${value.slice(0, 40)})`);
  return n;
}

/** The sparse map a pax header states (GNU sparse 0.0 and 0.1); 1.0 keeps it in the data. */
function paxSparseMap(pax: PaxState): Extent[] | undefined {
  const map = pax.get('GNU.sparse.map');
  const lengths = pax.all('GNU.sparse.numbytes');
  const numbers = map !== undefined ? map.split(',') : pax.all('GNU.sparse.offset').flatMap((o, i) => [o, lengths[i] ?? '']);
  if (numbers.length === 0 || (numbers.length === 1 && numbers[0] === '')) return pax.get('GNU.sparse.size') !== undefined ? [] : undefined;
  if (numbers.length % 2 !== 0) throw new BadHeader('a pax sparse map has an odd number of values');
  const out: Extent[] = [];
  for (let i = 0; i < numbers.length; i += 2) out.push({ offset: count(numbers[i], 'sparse offset')!, length: count(numbers[i + 1], 'sparse length')! });
  return out;
}

export type SparseForm = { kind: 'gnu-old'; realSize: number } | { kind: 'pax-0'; realSize: number; extents: Extent[] } | { kind: 'pax-1'; realSize: number };

/** How a member is sparse, if it is. */
export function sparseForm(header: TarHeader, pax: PaxState): SparseForm | undefined {
  if (header.sparse) return { kind: 'gnu-old', realSize: header.sparse.realSize };
  if (pax.get('GNU.sparse.major') === '1') return { kind: 'pax-1', realSize: count(pax.get('GNU.sparse.realsize'), 'sparse real size') ?? header.size };
  const extents = paxSparseMap(pax);
  if (extents) return { kind: 'pax-0', extents, realSize: count(pax.get('GNU.sparse.size') ?? pax.get('GNU.sparse.realsize'), 'sparse real size') ?? header.size };
  return undefined;
}

/** A member's name, link, size and type, as the header and the pax keywords in force say. */
export function describe(header: TarHeader, pax: PaxState, headerOffset: number, offset: number): ArchiveEntry {
  const storedSize = count(pax.get('size'), 'size') ?? header.size;
  const mtime = pax.get('mtime');
  const known = TYPES[header.typeflag];
  return {
    path: pax.get('GNU.sparse.name') ?? pax.get('path') ?? pax.longName ?? header.name,
    type: known ?? 'file',
    size: storedSize,
    mode: header.mode,
    linkname: pax.get('linkpath') ?? pax.longLink ?? (header.linkname || undefined),
    mtime: new Date(1000 * (mtime !== undefined && Number.isFinite(Number(mtime)) ? Number(mtime) : header.mtime)),
    headerOffset,
    offset,
    storedSize,
    ...(known ? {} : { unknownType: header.typeflag }),
  };
}

/** Checks that a sparse map fits its data: in order, not overlapping, inside the real size, adding up to what is stored. */
export function checkSparseMap(extents: Extent[], realSize: number, stored: number): void {
  let end = 0;
  let total = 0;
  for (const e of extents) {
    if (e.offset < end) throw new BadHeader('a sparse map is out of order');
    end = e.offset + e.length;
    total += e.length;
  }
  if (end > realSize) throw new BadHeader(`a sparse map reaches byte ${end}, past the file's size ${realSize}`);
  if (total !== stored) throw new BadHeader(`a sparse map lists ${total} bytes of data, the archive holds ${stored}`);
}
