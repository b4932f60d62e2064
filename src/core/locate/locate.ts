import type { CheckEvent, Region, RegionForensics } from '../events/types.js';
import { eventChannel } from '../events/channel.js';
import { compareDigests, digestsToCompute } from '../checks/compare.js';
import type { Algorithm } from '../hash/algorithms.js';
import { ProgressMeter } from '../hash/progress.js';
import { regionForensics } from '../forensics/region-forensics.js';
import type { CopySide } from './copy-side.js';
import { leafSizeFor, type ScanSummary } from './leaf-digests.js';

/**
 * Finds where copies of one backup differ without a block map: each copy
 * builds its digest tree where it lies, then ranges whose digests differ
 * are split (16 ways) and asked again, level by level, until single leaves
 * remain; only those leaves' bytes are fetched, to find the exact bytes and
 * say what happened to them. Which copy is right is decided by the
 * manifests' whole-file digests, or by a majority of three or more copies.
 */

const FAN_OUT = 16;
/** Forensic readings that name nothing: worth trying the other way round. */
const VAGUE = ['changed', 'unknown'];
/** Bytes of differing leaves fetched from each copy to find exact bytes and forensics; past this, regions stay leaf-sized. */
const MAX_EXACT_BYTES = 64 * 1024 * 1024;

export interface LocateRequest {
  sides: CopySide[];
  /** what the manifests say the backup's digests are (algorithm → claims) */
  expected?: Map<Algorithm, { value: string; manifest: string }[]>;
  /** the name progress events carry */
  file: string;
  compressed?: boolean;
}

export interface CopyOutcome {
  name: string;
  where: CopySide['where'];
  size: number;
  digests: ScanSummary['digests'];
  /** against the manifests' digests, when there are any */
  manifest?: { ok: boolean; findings: string[] };
  /** true: judged right; false: judged damaged; undefined: nothing says */
  right?: boolean;
  readThere: number;
  moved: number;
}

export interface DifferingRegion {
  offset: number;
  length: number;
  /** false when the region is leaf-sized (its bytes were not fetched) */
  exact: boolean;
  /** per copy: copies with the same group number hold the same bytes here */
  groups: number[];
  /** the copy whose bytes are right here, when the manifests or a majority say */
  right?: number;
  forensics?: RegionForensics;
  /** the copy the forensics describe (against the right copy, or the other) */
  described?: number;
}

export interface LocateReport {
  leafSize: number;
  copies: CopyOutcome[];
  regions: DifferingRegion[];
  /** how the right copy was chosen */
  judge?: 'manifest' | 'majority';
  /** the copy right wherever the copies differ */
  right?: number;
  /** round trips of digests */
  levels: number;
}

export function locate(req: LocateRequest, signal?: AbortSignal): AsyncGenerator<CheckEvent, LocateReport> {
  return eventChannel<CheckEvent, LocateReport>(async (emit) => {
    const { sides, file } = req;
    const sizes = await Promise.all(sides.map((s) => s.size()));
    const leafSize = leafSizeFor(Math.max(...sizes));
    const algorithms = req.expected ? digestsToCompute(req.expected) : [];

    // 1. Every copy builds its tree where it lies, all at once.
    void emit({ type: 'step', file, id: 'scan', title: `reading ${sides.length} copies where they lie`, state: 'running' });
    const total = sizes.reduce((a, b) => a + b, 0);
    let done = 0;
    const meter = new ProgressMeter(total, (p) => void emit({ type: 'progress', file, phase: 'read', ...p }));
    const scans = await Promise.all(sides.map((s) => s.scan(leafSize, algorithms, (n) => meter.update((done += n)))));
    signal?.throwIfAborted();
    void emit({ type: 'step', file, id: 'scan', title: `reading ${sides.length} copies where they lie`, state: 'ok' });

    // 2. Narrow down: only ranges whose digests differ are split and asked again.
    const leaves = Math.max(...scans.map((s) => s.leaves));
    const differing: { leaf: number; digests: string[] }[] = [];
    let candidates: [number, number][] = leaves > 0 && !allSame(scans.map((s) => `${s.size}:${s.digests.sha256}`)) ? [[0, leaves]] : [];
    let levels = 0;
    while (candidates.length) {
      const children = candidates.flatMap(([from, to]) => split(from, to));
      const answers = await Promise.all(sides.map((s) => s.nodes(children)));
      levels++;
      signal?.throwIfAborted();
      candidates = [];
      children.forEach(([from, to], i) => {
        const digests = answers.map((a) => a[i]!);
        if (allSame(digests)) return;
        if (to - from === 1) differing.push({ leaf: from, digests });
        else candidates.push([from, to]);
      });
    }

    // 3. Runs of differing leaves are regions; each copy's leaf digests say which copies agree there.
    const regions: DifferingRegion[] = [];
    const spans: { from: number; to: number; keys: string[] }[] = [];
    for (const d of differing) {
      const last = spans.at(-1);
      if (last && last.to === d.leaf) {
        last.to++;
        last.keys = last.keys.map((k, i) => k + d.digests[i]);
      } else spans.push({ from: d.leaf, to: d.leaf + 1, keys: [...d.digests] });
    }
    const maxSize = Math.max(...sizes);
    for (const s of spans) {
      const offset = s.from * leafSize;
      regions.push({ offset, length: Math.min(s.to * leafSize, maxSize) - offset, exact: false, groups: groupsOf(s.keys.map((k, i) => `${k}:${Math.min(scans[i]!.size, s.to * leafSize)}`)) });
    }

    // 4. Which copy is right: the manifests' digests first, then a majority.
    const copies: CopyOutcome[] = sides.map((side, i) => {
      const cmp = req.expected?.size ? compareDigests(req.expected, scans[i]!.digests) : undefined;
      const judged = cmp && Object.keys(cmp.digests).length > 0;
      return { name: side.name, where: side.where, size: scans[i]!.size, digests: scans[i]!.digests, manifest: judged ? { ok: cmp.allOk, findings: cmp.findings.map((f) => f.message) } : undefined, readThere: 0, moved: 0 };
    });
    let judge: LocateReport['judge'];
    let right: number | undefined;
    if (copies.some((c) => c.manifest)) {
      judge = 'manifest';
      for (const c of copies) c.right = c.manifest?.ok;
      right = nearest(sides, copies.map((c) => c.right === true));
      for (const r of regions) if (right !== undefined) r.right = right;
    } else if (sides.length >= 3 && regions.length) {
      for (const r of regions) r.right = majority(r.groups);
      const agrees = sides.map((_, i) => regions.every((r) => r.right !== undefined && r.groups[i] === r.groups[r.right]));
      right = nearest(sides, agrees);
      if (right !== undefined) {
        judge = 'majority';
        for (const [i, c] of copies.entries()) c.right = agrees[i];
      }
    }

    // 5. The differing leaves' bytes: exact offsets and what happened to them.
    // Bytes past the shortest copy's end differ by being absent: only the bytes all copies hold are fetched.
    const minSize = Math.min(...sizes);
    let fetched = 0;
    for (const r of regions) {
      const base = r.offset;
      const common = Math.max(0, Math.min(r.offset + r.length, minSize) - base);
      if (fetched + common > MAX_EXACT_BYTES) break;
      fetched += common;
      const held = await Promise.all(sides.map((s) => (common ? s.read(base, common) : Promise.resolve(Buffer.alloc(0)))));
      signal?.throwIfAborted();
      if (!narrow(r, held, r.offset + r.length > minSize)) continue;
      const readers = sides.map((side, i) => async (offset: number, length: number) =>
        offset >= base && offset + length <= base + common ? held[i]!.subarray(offset - base, offset - base + length) : side.read(offset, length),
      );
      // The damaged copy's bytes against the right one's; when nothing says which is right, both ways, keeping the reading that names something.
      const ref = r.right ?? 0;
      const other = r.groups.findIndex((g) => g !== r.groups[ref]);
      if (other < 0) continue;
      // A size difference nothing judges reads as the shorter copy cut short: the commoner accident by far.
      const shorter = sizes[other]! < sizes[ref]! ? other : ref;
      const pairs: [number, number][] = r.right !== undefined ? [[other, ref]] : sizes[other] !== sizes[ref] ? [[shorter, shorter === other ? ref : other]] : [[other, ref], [ref, other]];
      for (const [damaged, good] of pairs) {
        const region = regionOf(r, sizes[damaged]!, sizes[good]!);
        const found = await regionForensics(region, readers[damaged]!, { other: region.kind === 'corrupt' ? readers[good] : undefined, compressed: req.compressed ?? true, fileSize: sizes[damaged]!, sizeFrom: { short: `copy ${letter(good)}`, beyond: `copy ${letter(good)}'s end` } });
        if (!r.forensics || !VAGUE.includes(found.kind)) [r.forensics, r.described] = [found, damaged];
        if (!VAGUE.includes(found.kind)) break;
      }
    }
    for (const [i, side] of sides.entries()) {
      copies[i]!.readThere = side.readThere;
      copies[i]!.moved = side.moved;
    }
    return { leafSize, copies, regions, judge, right, levels };
  });
}

/** Copies are named a, b, c… in the order given. */
export const letter = (i: number) => String.fromCharCode(97 + i);

function split(from: number, to: number): [number, number][] {
  const step = Math.max(1, Math.ceil((to - from) / FAN_OUT));
  const out: [number, number][] = [];
  for (let a = from; a < to; a += step) out.push([a, Math.min(to, a + step)]);
  return out;
}

const allSame = (xs: string[]) => xs.every((x) => x === xs[0]);

function groupsOf(keys: string[]): number[] {
  const seen = new Map<string, number>();
  return keys.map((k) => {
    if (!seen.has(k)) seen.set(k, seen.size);
    return seen.get(k)!;
  });
}

/** Of the copies that qualify, the cheapest to fetch from: one on this machine, then one read where it lies, then a download. */
function nearest(sides: CopySide[], ok: boolean[]): number | undefined {
  for (const where of ['here', 'remote', 'download'] as const) {
    const i = sides.findIndex((s, j) => ok[j] && s.where === where);
    if (i >= 0) return i;
  }
  return undefined;
}

/** The copy of a group more than half of the copies share, if one does. */
function majority(groups: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
  for (const [g, n] of counts) if (n * 2 > groups.length) return groups.indexOf(g);
  return undefined;
}

/**
 * Shrinks a leaf-sized region to the bytes that really differ, from the
 * bytes every copy holds there; a region reaching past the shortest copy's
 * end keeps its end (those bytes differ by being absent). False when the
 * bytes agree on this read after all.
 */
function narrow(r: DifferingRegion, held: Buffer[], pastShortest: boolean): boolean {
  const common = held[0]!.length;
  const differsAt = (i: number) => held.some((b) => b[i] !== held[0]![i]);
  let first = 0;
  while (first < common && !differsAt(first)) first++;
  if (first >= common && !pastShortest) return false;
  let end = r.offset + r.length;
  if (!pastShortest) {
    let last = common - 1;
    while (last > first && !differsAt(last)) last--;
    end = r.offset + last + 1;
  }
  r.exact = true;
  r.offset += first;
  r.length = end - r.offset;
  return true;
}

/** The region as the forensics read it: bytes the damaged copy lacks (missing) or has beyond the right one (extra). */
function regionOf(span: { offset: number; length: number }, damagedSize: number, rightSize: number): Region {
  const kind = damagedSize < rightSize && span.offset >= damagedSize ? 'missing' : damagedSize > rightSize && span.offset >= rightSize ? 'extra' : 'corrupt';
  return { kind, firstBlock: 0, lastBlock: 0, offset: span.offset, length: span.length };
}
