import { createHash, type Hash } from 'node:crypto';
import { BLOCK, BadHeader, decodeHeader, decodeSparseExtension, isZeroBlock, padded, type Extent } from './tar-format.js';
import { PaxState, checkSparseMap, describe, hasData, sparseForm, type ArchiveEntry } from './tar-member.js';

/** The archive's bytes are wrong or missing here: reading cannot go on. */
export class TarDamage extends Error {
  constructor(
    message: string,
    /** byte of the uncompressed stream */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A member's content, as restored (holes of a sparse file read as zeros). Read it to its end, or leave it: the parser skips what is left. */
export type EntryContent = AsyncIterable<Buffer>;

/** How the archive ended. */
export interface TarEnd {
  /** the two zero blocks were there (or one, then the end of the input) */
  endMarker: boolean;
  /** one zero block, then nothing: GNU tar warns of it */
  loneZeroBlock: boolean;
  /** non-zero bytes after the end-of-archive marker (tar ignores them) */
  afterEnd?: { offset: number; length: number };
  /** uncompressed bytes read */
  position: number;
}

/** Slices of one shared zero buffer stand for a sparse file's holes: a writer may seek past them. */
export const HOLE = Buffer.alloc(1024 * 1024);
export function isHole(chunk: Buffer): boolean {
  return chunk.buffer === HOLE.buffer;
}

/** The uncompressed stream, taken a slice at a time. */
class Bytes {
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;
  position = 0;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Up to `max` bytes, without copying; empty at the end of the input. */
  async some(max: number): Promise<Buffer> {
    while (this.at >= this.buf.length) {
      const r = await this.source.next();
      if (r.done) return Buffer.alloc(0);
      this.buf = r.value;
      this.at = 0;
    }
    const n = Math.min(max, this.buf.length - this.at);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    this.position += n;
    return out;
  }

  /** Exactly `n` bytes, or fewer where the input ends. */
  async exact(n: number): Promise<Buffer> {
    const first = await this.some(n);
    if (first.length === n || first.length === 0) return first;
    const parts = [first];
    let got = first.length;
    while (got < n) {
      const part = await this.some(n - got);
      if (part.length === 0) break;
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts, got);
  }
}

/** Counts, hashes and looks for non-zero bytes in a member's content as it passes. */
class Facts {
  bytes = 0;
  allZero = true;
  private readonly hash: Hash | undefined;
  constructor(sha256: boolean) {
    this.hash = sha256 ? createHash('sha256') : undefined;
  }
  see(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    if (this.allZero && !isHole(chunk)) this.allZero = isAllZero(chunk);
  }
  done(entry: ArchiveEntry): void {
    entry.facts = { bytes: this.bytes, allZero: this.allZero && this.bytes > 0, sha256: this.hash?.digest('hex') };
  }
}

/** memcmp against zeros stops at the first non-zero byte: cheap for real data. */
function isAllZero(chunk: Buffer): boolean {
  for (let at = 0; at < chunk.length; at += HOLE.length) {
    const part = chunk.subarray(at, at + HOLE.length);
    if (part[0] !== 0 || !part.equals(HOLE.subarray(0, part.length))) return false;
  }
  return true;
}

const MAX_META = 16 * 1024 * 1024;

/**
 * Reads a tar stream (already decompressed), yielding each member and its
 * content. Driven by the caller's loop, it cannot stall: it ends with the
 * input, and throws TarDamage where the bytes stop making sense. With
 * `sha256`, each member's content digest is in `entry.facts` once read.
 */
export async function* parseTar(source: AsyncIterable<Buffer>, opts: { sha256?: boolean } = {}): AsyncGenerator<{ entry: ArchiveEntry; content: EntryContent }, TarEnd> {
  const bytes = new Bytes(source[Symbol.asyncIterator]());
  const pax = new PaxState();
  const cutShort = (what: string) => new TarDamage(`the archive ends inside ${what} (cut short)`, bytes.position);
  const data = async (size: number, what: string): Promise<Buffer> => {
    if (size > MAX_META) throw new TarDamage(`${what} of ${size} bytes is implausibly large`, bytes.position);
    const got = await bytes.exact(padded(size));
    if (got.length < padded(size)) throw cutShort(what);
    return got.subarray(0, size);
  };

  for (;;) {
    const headerOffset = bytes.position;
    const block = await bytes.exact(BLOCK);
    if (block.length === 0) return { endMarker: false, loneZeroBlock: false, position: bytes.position };
    if (block.length < BLOCK) throw cutShort('a header');
    if (isZeroBlock(block)) return endOfArchive(bytes);
    let header;
    try {
      header = decodeHeader(block);
    } catch (err) {
      if (err instanceof BadHeader) throw new TarDamage(`${err.message} at byte ${headerOffset}`, headerOffset);
      throw err;
    }
    const flag = header.typeflag;
    if (PaxState.describes(flag)) {
      pax.take(flag, await data(header.size, flag === 'x' || flag === 'g' ? 'a pax header' : 'a long name'));
      continue;
    }
    if (flag === 'V' || flag === 'N') {
      await data(header.size, 'a volume label');
      continue;
    }

    let entry: ArchiveEntry;
    let extents: Extent[] | undefined;
    try {
      const form = sparseForm(header, pax);
      if (form?.kind === 'gnu-old') {
        extents = [...header.sparse!.extents];
        for (let more = header.sparse!.extended; more; ) {
          const ext = await bytes.exact(BLOCK);
          if (ext.length < BLOCK) throw cutShort('a sparse map');
          const decoded = decodeSparseExtension(ext);
          extents.push(...decoded.extents);
          more = decoded.extended;
        }
      }
      entry = describe(header, pax, headerOffset, bytes.position);
      if (form) {
        if (form.kind === 'pax-1') {
          extents = await sparseMapInData(bytes, entry);
          // The map is part of the stored data, padded to a block.
          entry.storedSize -= bytes.position - entry.offset;
          entry.offset = bytes.position;
          if (entry.storedSize < 0) throw new BadHeader(`the sparse map of ${entry.path} is larger than its member`);
        } else if (form.kind === 'pax-0') extents = form.extents;
        checkSparseMap(extents!, form.realSize, entry.storedSize);
        entry.size = form.realSize;
        entry.sparse = extents;
      }
    } catch (err) {
      if (err instanceof BadHeader) throw new TarDamage(`${err.message} (the member at byte ${headerOffset})`, headerOffset);
      throw err;
    }
    pax.next();
    if (!hasData(flag)) entry.storedSize = 0;
    // Only a file's data is its content; what a link or a GNU dumpdir carries is skipped, as tar does.
    if (entry.type !== 'file') entry.size = 0;

    const facts = new Facts(opts.sha256 === true && entry.type === 'file');
    const reader = contentReader(bytes, entry, extents, facts, cutShort);
    yield { entry, content: { [Symbol.asyncIterator]: () => ({ next: reader, return: async () => ({ done: true, value: undefined }) }) } };
    // Whatever the consumer left is read here, so the digest and the position are right.
    while (!(await reader()).done);
    facts.done(entry);
    const pad = padded(entry.storedSize) - entry.storedSize;
    if (pad > 0 && (await bytes.exact(pad)).length < pad) throw cutShort(`the padding after ${entry.path}`);
  }
}

/**
 * After the first zero block: GNU tar reads one more block and stops there,
 * warning of "a lone zero block" unless it is zero too. Anything non-zero
 * after the first zero block is data tar never reads.
 */
async function endOfArchive(bytes: Bytes): Promise<TarEnd> {
  let first = -1;
  let last = -1;
  const see = (start: number, part: Buffer) => {
    if (isAllZero(part)) return;
    if (first < 0) first = start + part.findIndex((b) => b !== 0);
    last = start + part.length;
  };
  const markerEnd = bytes.position;
  const second = await bytes.exact(BLOCK);
  see(markerEnd, second);
  for (;;) {
    const start = bytes.position;
    const part = await bytes.some(1024 * 1024);
    if (part.length === 0) break;
    see(start, part);
  }
  const loneZeroBlock = second.length < BLOCK || !isZeroBlock(second);
  return { endMarker: true, loneZeroBlock, afterEnd: first >= 0 ? { offset: first, length: last - first } : undefined, position: bytes.position };
}

/** GNU sparse 1.0: the map is decimal text at the start of the data, padded to a block. */
async function sparseMapInData(bytes: Bytes, entry: ArchiveEntry): Promise<Extent[]> {
  const start = bytes.position;
  let textSoFar = '';
  const numbers: number[] = [];
  let wanted: number | undefined;
  while (wanted === undefined || numbers.length < wanted) {
    const block = await bytes.exact(BLOCK);
    if (block.length < BLOCK) throw new TarDamage(`the archive ends inside the sparse map of ${entry.path} (cut short)`, bytes.position);
    textSoFar += block.toString('latin1');
    const lines = textSoFar.split('\n');
    textSoFar = lines.pop()!;
    for (const line of lines) {
      if (!/^\d+$/.test(line)) throw new BadHeader(`the sparse map of ${entry.path} is not numbers`);
      if (wanted === undefined) wanted = 1 + 2 * Number(line);
      numbers.push(Number(line));
      if (numbers.length === wanted) break;
    }
    if (bytes.position - start > MAX_META) throw new BadHeader(`the sparse map of ${entry.path} is implausibly large`);
  }
  const extents: Extent[] = [];
  for (let i = 1; i < numbers.length; i += 2) extents.push({ offset: numbers[i]!, length: numbers[i + 1]! });
  return extents;
}

/** The next piece of a member's content: stored data, and for a sparse file the zeros between. */
function contentReader(bytes: Bytes, entry: ArchiveEntry, extents: Extent[] | undefined, facts: Facts, cutShort: (what: string) => TarDamage): () => Promise<IteratorResult<Buffer>> {
  const pieces: ({ hole: number } | { data: number })[] = [];
  if (extents) {
    let at = 0;
    for (const e of extents) {
      if (e.offset > at) pieces.push({ hole: e.offset - at });
      if (e.length > 0) pieces.push({ data: e.length });
      at = e.offset + e.length;
    }
    if (entry.size > at) pieces.push({ hole: entry.size - at });
  } else if (entry.storedSize > 0) pieces.push({ data: entry.storedSize });
  let i = 0;
  return async () => {
    while (i < pieces.length) {
      const piece = pieces[i]!;
      if ('hole' in piece) {
        if (piece.hole === 0) {
          i++;
          continue;
        }
        const n = Math.min(piece.hole, HOLE.length);
        piece.hole -= n;
        const chunk = HOLE.subarray(0, n);
        facts.see(chunk);
        return { done: false, value: chunk };
      }
      if (piece.data === 0) {
        i++;
        continue;
      }
      const chunk = await bytes.some(piece.data);
      if (chunk.length === 0) throw cutShort(entry.path);
      piece.data -= chunk.length;
      facts.see(chunk);
      return { done: false, value: chunk };
    }
    return { done: true, value: undefined };
  };
}
