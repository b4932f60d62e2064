import type { Region, RegionForensics } from '../events/types.js';
import type { RangeReader } from '../inspect/find-bytes.js';

/** What says how long the file should be, in the words of a truncation and of an appended tail. */
export interface SizeSource {
  short: string;
  beyond: string;
}
const MANIFEST_SIZE: SizeSource = { short: 'its manifest', beyond: "the manifest's size" };

/** Zero bytes in a row that say "a hole", not "a value of 0". */
const ZERO_RUN = 512;
/** Most of a region read to judge it: a MiB block is read whole, a GiB region is sampled at its start. */
const MAX_READ = 4 * 1024 * 1024;
/** Differing bytes closer than this belong to one burst. */
const BURST_GAP = 8;

const alignment = (offset: number, length: number): 512 | 4096 | undefined => (offset % 4096 === 0 && length % 4096 === 0 ? 4096 : offset % 512 === 0 && length % 512 === 0 ? 512 : undefined);
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const alignedWords = (a: 512 | 4096 | undefined) => (a === 4096 ? 'on a 4 KiB boundary' : a === 512 ? 'on a 512-byte sector boundary' : 'not sector-aligned');

/**
 * Looks at a damaged region's bytes and says what they look like: a hole of
 * zeros (and whether it is sector-aligned: a lost write), a repeating
 * pattern, text where the backup holds compressed data (overwritten), a
 * file cut short or grown. With a healthy copy (`other`), says exactly what
 * differs: how many bytes and bits, in how many bursts, and what that looks
 * like ("3 isolated bit flips: memory or transport").
 */
export async function regionForensics(region: Region, read: RangeReader, opts: { other?: RangeReader; compressed: boolean; fileSize: number; sizeFrom?: SizeSource }): Promise<RegionForensics> {
  const from = opts.sizeFrom ?? MANIFEST_SIZE;
  if (region.kind === 'missing') {
    return { kind: 'truncated', summary: `the file ends at byte ${opts.fileSize.toLocaleString('en-US')}, ${plural(region.length, 'byte')} short of ${from.short}: truncated (an interrupted write, copy or upload)` };
  }
  const length = Math.min(region.length, MAX_READ);
  const ours = await read(region.offset, length);
  if (region.kind === 'extra') {
    const what = describeBytes(ours, region.offset, opts.compressed);
    return { ...what, kind: 'appended', summary: `${plural(region.length, 'byte')} beyond ${from.beyond}, from byte ${region.offset.toLocaleString('en-US')}: appended (a second write, or files run together)${what.kind === 'unknown' ? '' : `; in them: ${what.summary}`}` };
  }
  if (opts.other) {
    const theirs = await opts.other(region.offset, length);
    return compare(ours, theirs, region.offset);
  }
  const what = describeBytes(ours, region.offset, opts.compressed);
  return { ...what, summary: what.kind === 'unknown' ? `no zeros, pattern or text in it${what.entropy === undefined ? '' : ` (entropy ${what.entropy.toFixed(2)} bits a byte)`}: another copy (--against COPY) would say exactly which bytes changed` : what.summary };
}

/** What a run of bytes looks like without anything to compare with. */
function describeBytes(bytes: Buffer, offset: number, compressed: boolean): RegionForensics {
  const runs = zeroRuns(bytes, offset);
  const zeros = runs.reduce((n, r) => n + r.length, 0);
  if (zeros === bytes.length && bytes.length > 0) {
    const a = alignment(offset, bytes.length);
    return { kind: 'zeros', zeroRuns: runs, summary: `${plural(bytes.length, 'zero byte')} at byte ${offset.toLocaleString('en-US')}, ${alignedWords(a)}: ${a ? 'a lost write or a zeroed sector' : 'zeroed'}` };
  }
  // In compressed data a long run of zeros is never the data: someone or something wrote them.
  if (compressed && runs.length) {
    const r = runs[0]!;
    const first = `${plural(r.length, runs.length === 1 ? 'zero byte' : 'byte')} at byte ${r.offset.toLocaleString('en-US')}, ${alignedWords(r.aligned)}`;
    const where = runs.length === 1 ? first : `${plural(zeros, 'zero byte')} in ${plural(runs.length, 'run')} (the first: ${first})`;
    return { kind: 'zeros', zeroRuns: runs, summary: `${where}, where compressed data has none: ${r.aligned ? 'a lost write or a zeroed sector' : 'zeroed'}` };
  }
  const fill = repeatedPattern(bytes);
  if (fill && (compressed || fill.length === bytes.length)) {
    const pattern = bytes.subarray(fill.start, fill.start + Math.min(fill.period, 8));
    return { kind: 'pattern', summary: `a ${fill.period}-byte pattern (${hex(pattern)}${fill.period > 8 ? '…' : ''}) repeated over ${plural(fill.length, 'byte')} at byte ${(offset + fill.start).toLocaleString('en-US')}: overwritten by a fill pattern` };
  }
  const entropy = entropyOf(bytes);
  // Compressed data has no long printable stretch (random bytes rarely make ten in a row): a run of text was written over it.
  const text = compressed ? longestText(bytes) : undefined;
  if (text && text.length >= TEXT_RUN) {
    const sample = bytes.subarray(text.start, text.start + text.length);
    return { kind: 'text', entropy, summary: `${plural(text.length, 'byte')} of text at byte ${(offset + text.start).toLocaleString('en-US')} (“${printableSample(sample)}”) where the backup holds compressed data: overwritten by another file or a log` };
  }
  if (compressed && entropy < 6) return { kind: 'low-entropy', entropy, summary: `${entropy.toFixed(2)} bits of information a byte where compressed data has nearly 8: overwritten by other data` };
  return { kind: 'unknown', entropy, summary: '' };
}

/** Exactly what differs from a healthy copy, and what that looks like. */
function compare(ours: Buffer, theirs: Buffer, offset: number): RegionForensics {
  const n = Math.min(ours.length, theirs.length);
  let bytes = 0;
  let bits = 0;
  const bursts: { offset: number; length: number }[] = [];
  let allZero = true;
  let singleBit = true;
  for (let i = 0; i < n; i++) {
    const x = ours[i]! ^ theirs[i]!;
    if (x === 0) continue;
    bytes++;
    const b = popcount(x);
    bits += b;
    if (b !== 1) singleBit = false;
    if (ours[i] !== 0) allZero = false;
    const last = bursts.at(-1);
    if (last && offset + i - (last.offset + last.length) < BURST_GAP) last.length = offset + i + 1 - last.offset;
    else bursts.push({ offset: offset + i, length: 1 });
  }
  const diff = { bytes, bits, bursts: bursts.slice(0, 100) };
  if (bytes === 0) return { kind: 'unknown', diff, summary: 'the same bytes as the other copy here: the damage was not confirmed on a second read (a transient read error)' };
  const where = bursts.length === 1 ? `at byte ${bursts[0]!.offset.toLocaleString('en-US')}` : `in ${plural(bursts.length, 'burst')} (the longest ${plural(Math.max(...bursts.map((b) => b.length)), 'byte')})`;
  if (singleBit && bursts.length === bits) return { kind: 'bit-flips', diff, summary: `${plural(bits, 'isolated bit flip')} against the other copy ${where}: memory or transport (a flipped bit in RAM, a bus or a link), not the disk's sectors` };
  if (allZero) {
    const first = bursts[0]!;
    const span = bursts.at(-1)!.offset + bursts.at(-1)!.length - first.offset;
    // Bytes that were zero already do not differ: the zeroed span is rounded up to whole sectors.
    const sectors = first.offset % 512 === 0 ? alignment(first.offset, Math.ceil(span / 512) * 512) : undefined;
    return { kind: 'zeros', diff, zeroRuns: bursts.map((b) => ({ offset: b.offset, length: b.length })), summary: `${plural(bytes, 'byte')} turned to zero against the other copy ${where}${sectors ? `, ${alignedWords(sectors)}: a lost write or a zeroed sector` : ': zeroed'}` };
  }
  const changed = Buffer.concat(bursts.slice(0, 20).map((b) => ours.subarray(b.offset - offset, b.offset - offset + b.length)));
  if (changed.length >= 16 && printableShare(changed) > 0.95) return { kind: 'text', diff, summary: `${plural(bytes, 'byte')} overwritten with text (“${printableSample(changed)}”) ${where}: another file or a log written over it` };
  return { kind: 'changed', diff, summary: `${plural(bytes, 'byte')} (${plural(bits, 'bit')}) differ from the other copy ${where}` };
}

/** Runs of at least ZERO_RUN zero bytes, with their alignment. */
function zeroRuns(bytes: Buffer, offset: number): NonNullable<RegionForensics['zeroRuns']> {
  const out: NonNullable<RegionForensics['zeroRuns']> = [];
  const probe = Buffer.alloc(ZERO_RUN);
  for (let at = bytes.indexOf(probe); at >= 0 && at < bytes.length; ) {
    let end = at + ZERO_RUN;
    while (end < bytes.length && bytes[end] === 0) end++;
    const aligned = alignment(offset + at, end - at);
    out.push({ offset: offset + at, length: end - at, ...(aligned ? { aligned } : {}) });
    at = bytes.indexOf(probe, end);
  }
  return out;
}

/** Bytes a repeated pattern must cover to be a fill, not chance. */
const PATTERN_RUN = 512;

/** The longest stretch where a short pattern (2-16 bytes; one byte is a zero run or a fill of its own) repeats, if it is long enough. */
function repeatedPattern(bytes: Buffer): { period: number; start: number; length: number } | undefined {
  let best: { period: number; start: number; length: number } | undefined;
  for (let p = 1; p <= 16; p++) {
    let start = 0;
    for (let i = p; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] === bytes[i - p]) continue;
      const length = i - start;
      if (length >= PATTERN_RUN && (!best || length > best.length)) best = { period: p, start, length };
      start = i - p + 1;
    }
    if (best) return best; // the shortest period that makes a fill
  }
  return undefined;
}

function entropyOf(bytes: Buffer): number {
  if (!bytes.length) return 0;
  const counts = new Uint32Array(256);
  for (const b of bytes) counts[b]!++;
  let h = 0;
  for (const c of counts) if (c) h -= (c / bytes.length) * Math.log2(c / bytes.length);
  return h;
}

/** Printable bytes in a row that are text, not chance, in compressed data. */
const TEXT_RUN = 256;

const isPrintable = (b: number) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09;

/** The longest run of printable bytes. */
function longestText(bytes: Buffer): { start: number; length: number } {
  let best = { start: 0, length: 0 };
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && isPrintable(bytes[i]!)) continue;
    if (i - start > best.length) best = { start, length: i - start };
    start = i + 1;
  }
  return best;
}

function printableShare(bytes: Buffer): number {
  let n = 0;
  for (const b of bytes) if (isPrintable(b)) n++;
  return bytes.length ? n / bytes.length : 0;
}

const printableSample = (bytes: Buffer) => bytes.toString('latin1', 0, 40).replace(/[^\x20-\x7e]/g, ' ').replace(/\s+/g, ' ').trim() + (bytes.length > 40 ? '…' : '');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').replace(/(..)/g, '$1 ').trim();

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v; v &= v - 1) n++;
  return n;
}

/** Regions looked into per backup: enough for any real incident, bounded for a file that is all damage. */
const MAX_REGIONS = 32;

/**
 * Looks into each damaged region of a local backup (and of `against`, a
 * healthy copy, when given) and attaches what its bytes say. Reads at most
 * MAX_READ bytes of each of the first MAX_REGIONS regions.
 */
export async function describeRegions(file: string, regions: Region[], against?: string): Promise<void> {
  if (!regions.length) return;
  const { openBackup } = await import('../hash/file-identity.js');
  const { compressionOf, readHead } = await import('../archive/detect.js');
  const handle = await openBackup(file);
  const other = against ? await openBackup(against) : undefined;
  try {
    const size = (await handle.stat()).size;
    const compressed = compressionOf(await readHead(handle, 16), file) !== 'none';
    const reader = (h: typeof handle): RangeReader => async (offset, length) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await h.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    };
    for (const region of regions.slice(0, MAX_REGIONS)) {
      if (region.kind === 'unreadable') continue;
      region.forensics = await regionForensics(region, reader(handle), { other: other && reader(other), compressed, fileSize: size });
    }
  } finally {
    await handle.close();
    await other?.close();
  }
}
