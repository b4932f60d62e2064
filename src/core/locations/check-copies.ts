import { RestorableError, isAbort } from '../errors.js';
import { emptyFinding, type CheckEvent, type CheckResult, type CopyReport, type Finding, type ManifestRef, type Region, type Status } from '../events/types.js';
import type { Algorithm } from '../hash/algorithms.js';
import type { BlockMap, Expectation } from '../manifest/model.js';
import type { Location, ObjectInfo } from '../storage/location.js';
import { MAX_LISTED_BAD_BLOCKS, MISSING, OK, TRANSIENT, regionFinding, regionsOf } from '../checks/blocks.js';
import { sha256Hex } from '../hash/hasher.js';
import { compareDigests, digestsToCompute, expectedDigests } from '../checks/compare.js';
import type { CopyDigests } from './copy-digester.js';
import { evidenceName, known, partSizeCandidates, providerEvidence, unknownChecksums, type Evidence, type Reference } from './provider-checksum.js';
import type { AtRestChecksum } from './checksum-report.js';
import { applyQuorum } from './quorum.js';
import { judgeLock, lockText, type LockPolicy } from './object-lock.js';
import { readSample, readWhole, type ReadContext } from './read-copy.js';
import { BlockSet, continueCoverage, sampleOrder, type CopyCoverage } from './coverage.js';
import type { EgressBudget } from './egress.js';
import { formatBytes } from '../../output/format.js';

/** One backup as the manifests describe it, and where its copies should be. */
export interface BackupRef {
  /** its name inside every location ("db/2026-11-20.sql.gz") */
  key: string;
  expectations: Expectation[];
  /** a path on this machine whose content index / tar headers name damaged members */
  memberSource?: string;
}

export interface CopyPlace {
  location: Location;
  /** false: a rule says this location need not hold it (a missing copy is no failure) */
  expected: boolean;
  /** the Object Lock every copy in this location should have */
  lock?: LockPolicy;
}

export interface CopiesOptions extends ReadContext {
  /** exists and size only */
  quick?: boolean;
  /** read every copy in full */
  full?: boolean;
  /** sample every copy at this fraction, even one a provider checksum vouches for */
  sample?: number;
  /** the fraction sampled where no provider checksum can vouch (default 10%) */
  defaultSample?: number;
  /** digests of the good bytes learnt on an earlier run (the ledger) */
  known?: Reference;
  /** --max-egress: what each bucket location may still send this run */
  egress?: EgressBudget;
  /** the blocks earlier runs sampled of the copy in this location (the ledger) */
  coverage?: (location: string) => CopyCoverage | undefined;
  /** checksums the store recomputed at rest (S3 Batch Operations reports), by the copy's "s3://bucket/key" */
  atRest?: (where: string) => { checksum: AtRestChecksum; at: Date } | undefined;
}

export interface CopiesOutcome {
  results: CheckResult[];
  /** the good bytes' MD5 and ETags as learnt this run: kept so later runs need no download */
  reference: Reference;
  /** location → the blocks of its copy read so far this cycle, where this run read any */
  coverage: Record<string, CopyCoverage>;
}

interface CopyState {
  place: CopyPlace;
  info?: ObjectInfo;
  result?: CheckResult;
  bytesRead: number;
  /** full read digests, when the copy was read whole */
  read?: CopyDigests;
  coverage?: CopyCoverage;
}

/**
 * Checks every copy of one backup, cheapest sound evidence first: exists and
 * size; the provider's checksum; blocks sampled by ranged reads; a full read.
 * A copy found bad is read whole to locate its damage. Yields progress and
 * one `result` event per copy.
 */
export async function* checkCopies(ref: BackupRef, places: CopyPlace[], opts: CopiesOptions): AsyncGenerator<CheckEvent, CopiesOutcome> {
  const map = ref.expectations.find((e) => e.blockMap)?.blockMap;
  const expected = expectedDigests(ref.expectations);
  const expectedSize = ref.expectations.find((e) => e.size !== undefined)?.size;
  const sha256 = expected.get('sha256')?.[0]?.value;
  // The manifests' values of the checksums stores keep, as buckets' copies are compared with them.
  const checksums = Object.fromEntries((['crc64nvme', 'crc32c', 'sha1'] as const).flatMap((a) => (expected.get(a) ? [[a, expected.get(a)![0]!.value]] : [])));
  const reference: Reference = { size: expectedSize, sha256, md5: expected.get('md5')?.[0]?.value, etags: {}, checksums };
  if (opts.known && opts.known.size === expectedSize && opts.known.sha256 === sha256 && sha256) {
    reference.md5 ??= opts.known.md5;
    Object.assign(reference.etags, opts.known.etags);
    reference.checksums = { ...opts.known.checksums, ...reference.checksums };
  }
  const manifests: ManifestRef[] = [...new Map(ref.expectations.map((e) => [e.manifest, { path: e.manifest, kind: e.kind }])).values()];
  const started = Date.now();
  const states: CopyState[] = places.map((place) => ({ place, bytesRead: 0 }));
  const finish = (s: CopyState, status: Status, evidence: CopyReport['evidence'], extra: Partial<CheckResult> = {}) => {
    const size = s.info?.size;
    const lock = s.info && s.place.lock ? judgeLock(s.info.lock, s.place.lock, new Date()) : undefined;
    const lockFindings: Finding[] = lock ? [{ severity: lock.problem ? 'warning' : 'info', message: lockText(lock) }] : [];
    s.result = {
      file: s.place.location.describe(ref.key),
      status,
      size,
      expectedSize,
      manifests,
      checks: ['locations'],
      checkedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      ...extra,
      findings: [...(extra.findings ?? []), ...lockFindings],
      copy: {
        location: s.place.location.name,
        backup: ref.key,
        evidence,
        coverage: size ? Math.min(1, s.bytesRead / size) : 0,
        bytesRead: s.bytesRead,
        etag: s.info?.etag,
        ...(lock ? { lock } : {}),
      },
    };
  };

  // 1. Exists, and the right size: one request per copy, all at once.
  await Promise.all(
    states.map(async (s) => {
      try {
        s.info = await s.place.location.stat(ref.key, { signal: opts.signal });
      } catch (err) {
        if (!(err instanceof RestorableError) || opts.signal?.aborted) throw err;
        finish(s, 'error', 'none', { findings: [{ severity: 'error', message: err.message }] });
        return;
      }
      if (!s.info) {
        if (s.place.expected) finish(s, 'missing', 'none', { findings: [{ severity: 'error', message: `${s.place.location.describe(ref.key)}: no such copy in ${s.place.location.name}` }] });
        return;
      }
      if (s.info.size === 0) {
        finish(s, 'empty', 'size', { findings: [emptyFinding(s.place.location.describe(ref.key))] });
      } else if (expectedSize !== undefined && s.info.size !== expectedSize) {
        const regions = map ? sizeRegions(map, s.info.size) : undefined;
        finish(s, 'size_mismatch', 'size', { regions, blockSize: map?.block_size, findings: [{ severity: 'error', message: `size is ${s.info.size} bytes, expected ${expectedSize}` }] });
      }
    }),
  );
  const open = () => states.filter((s) => s.info && !s.result);
  if (opts.quick) {
    // A size is only evidence when a manifest states one.
    for (const s of open()) {
      if (expectedSize === undefined) finish(s, 'no_manifest', 'none', { findings: [{ severity: 'error', message: 'no manifest states a size: nothing to check this copy against' }] });
      else finish(s, 'verified', 'size');
    }
    return done();
  }
  // Without a digest or a block map only a majority of copies can judge (quorum.ts).
  const judged = expected.size > 0 || map !== undefined;

  // 2. Local copies are read whole: that is cheap here, and gives the MD5 and
  //    multipart ETags the bucket copies' checksums are compared with.
  const partSizes = new Set<number>();
  for (const s of open()) {
    const m = /-(\d+)$/.exec(s.info!.etag ?? '');
    if (m) for (const p of partSizeCandidates(s.info!.size, Number(m[1]), s.info!.partSize)) partSizes.add(p);
  }
  // A read computes what judges it, the MD5 ETags are compared with, and the
  // store checksums a bucket copy carries that no manifest states: learnt, they vouch next time.
  const learnable = open().flatMap((s) => unknownChecksums(s.info!, reference).filter((a): a is 'crc64nvme' | 'crc32c' | 'sha1' => a !== 'sha256' && a !== 'crc32'));
  const algorithms = [...new Set<Algorithm>([...digestsToCompute(expected), 'sha256', 'md5', ...learnable])];
  const plan = { algorithms, etagPartSizes: [...partSizes], blockMap: map };
  for (const s of open().filter((x) => x.place.location.kind === 'local' || opts.full)) {
    yield* guarded(s, readFully(s));
  }

  if (!judged) {
    for (const s of open()) finish(s, 'no_manifest', 'none', { findings: [{ severity: 'error', message: 'no manifest: nothing to check this copy against' }] });
    return done();
  }

  // 3. Bucket copies: the provider's checksum, then samples, then a full read.
  const verifiedEtags = () => new Set(states.filter((x) => x.result?.status === 'verified' && x.info?.etag).map((x) => x.info!.etag!));
  for (const s of open()) {
    const rest = opts.atRest?.(s.place.location.describe(ref.key));
    const restExpected = rest && rest.checksum.type !== 'COMPOSITE' ? known(reference, rest.checksum.algorithm) : undefined;
    if (rest && restExpected) {
      const { algorithm, hex } = rest.checksum;
      const when = rest.at.toISOString().slice(0, 10);
      if (hex !== restExpected) {
        finish(s, 'hash_mismatch', 'at-rest', { findings: [{ severity: 'error', message: `S3 recomputed its ${algorithm} at rest (report of ${when}): ${hex}, the manifest's ${restExpected}: the stored bytes are not the backup's (nothing downloaded)` }] });
        continue;
      }
      if (opts.sample && map) yield* guarded(s, sample(s, opts.sample, 'at-rest'));
      else finish(s, 'verified', 'at-rest', { findings: [{ severity: 'info', message: `S3 recomputed its ${algorithm} at rest (report of ${when}): that of the good bytes` }] });
      continue;
    }
    const evidence = providerEvidence(s.info!, reference);
    if (evidence.verdict === 'match') {
      if (opts.sample && map) yield* guarded(s, sample(s, opts.sample, evidence.via));
      else finish(s, 'verified', evidence.via, { findings: [{ severity: 'info', message: `${evidenceName(evidence.via)} ${evidence.actual} is that of the good bytes` }] });
      continue;
    }
    if (evidence.verdict === 'mismatch' && evidence.via !== 'etag') {
      // A full-object checksum the store computed when the bytes arrived: they are not the backup's. Nothing to download to know it.
      finish(s, 'hash_mismatch', evidence.via, {
        findings: [
          { severity: 'error', message: `the store's ${evidence.via.slice('checksum-'.length)} is ${evidence.actual}, the manifest's ${evidence.expected}: the bytes uploaded were not the backup's (nothing downloaded)` },
          ...(map ? [{ severity: 'info' as const, message: 'to locate the damage, read it with --full, or run `restorable compare` against a good copy' }] : []),
        ],
      });
      continue;
    }
    if (evidence.verdict === 'mismatch') {
      // An ETag is not always an MD5 of the content: read the bytes to be sure, and to locate the damage.
      yield* guarded(s, readFully(s, [{ severity: 'warning', message: `ETag is ${evidence.actual}, the good bytes' is ${evidence.expected}` }]));
      continue;
    }
    if (s.info!.etag && verifiedEtags().has(s.info!.etag) && !opts.sample) {
      finish(s, 'verified', 'etag', { findings: [{ severity: 'info', message: `same ETag as a copy verified this run (${s.info!.etag})` }] });
      continue;
    }
    const reason = evidence.verdict === 'unknown' ? evidence.reason : '';
    const fraction = opts.sample ?? opts.defaultSample ?? 0.1;
    if (!map || fraction >= 1) yield* guarded(s, readFully(s, [{ severity: 'info', message: `read in full: ${reason}${map ? '' : ', and there is no block map to sample'}` }]));
    else yield* guarded(s, sample(s, fraction, undefined, reason));
  }
  return done();

  function done(): CopiesOutcome {
    const results = states.filter((s) => s.result).map((s) => s.result!);
    const coverage = Object.fromEntries(states.filter((s) => s.coverage).map((s) => [s.place.location.name, s.coverage!]));
    applyQuorum(states.filter((s) => s.result).map((s) => ({ result: s.result!, etag: s.info?.etag, sha256: s.read?.digests.sha256, md5: s.read?.digests.md5, etags: s.read?.etags })));
    return { results, reference, coverage };
  }

  /**
   * One copy's reads: a copy that cannot be read (a download that failed
   * after every retry, a copy replaced while it was read) gets an `error`
   * result of its own; the other copies of the backup keep theirs.
   */
  async function* guarded(s: CopyState, work: AsyncGenerator<CheckEvent, void>): AsyncGenerator<CheckEvent, void> {
    try {
      yield* work;
    } catch (err) {
      if (!(err instanceof RestorableError) || isAbort(err, opts.signal)) throw err;
      finish(s, 'error', 'none', { findings: [{ severity: 'error', message: err.message }] });
    }
  }

  /** Reserves egress for a read of `bytes` from this copy: true when its location can afford them (local reads are free). */
  function afford(s: CopyState, bytes: number): boolean {
    return !opts.egress || s.place.location.kind === 'local' || opts.egress.take(s.place.location.name, bytes);
  }

  /** The copy exists at the right size, but the reads that would judge it do not fit in this run's egress budget. */
  function defer(s: CopyState, what: string, findings: Finding[] = []): void {
    const left = opts.egress!.left(s.place.location.name);
    finish(s, 'deferred', 'size', { findings: [...findings, { severity: 'warning', message: `${what} left for a later run: the egress budget for ${s.place.location.name} has ${formatBytes(left)} left of ${formatBytes(opts.egress!.perLocation)}` }] });
  }

  async function* readFully(s: CopyState, findings: Finding[] = []): AsyncGenerator<CheckEvent, void> {
    if (!afford(s, s.info!.size)) return defer(s, `the full read (${formatBytes(s.info!.size)})`, findings);
    const read = yield* readWhole(s.place.location, ref.key, s.info!.size, plan, opts);
    s.read = read;
    s.bytesRead += read.bytes;
    const cmp = compareDigests(expected, read.digests);
    if (map && read.blockStates) s.bytesRead += await rereadBadBlocks(s.place.location, ref.key, map, read, opts.signal);
    const regions = map && read.blockStates ? regionsOf(map, read.blockStates, read.bytes) : [];
    if (regions.length && ref.memberSource) await nameMembersFrom(ref.memberSource, regions);
    const status: Status = !judged ? 'no_manifest' : regions.length ? 'corrupt_blocks' : cmp.allOk ? 'verified' : 'hash_mismatch';
    if (!judged) findings.push({ severity: 'error', message: 'no manifest: nothing to check this copy against' });
    if (status === 'verified') {
      if (map) s.coverage = fullCoverage(map, copyIdentity(s.info!));
      reference.md5 ??= read.digests.md5;
      for (const [p, e] of Object.entries(read.etags)) reference.etags[p] ??= e;
      for (const a of ['crc64nvme', 'crc32c', 'sha1'] as const) if (read.digests[a]) (reference.checksums ??= {})[a] ??= read.digests[a];
      if (findings.some((f) => f.severity === 'warning')) findings.push({ severity: 'warning', message: 'yet every byte read matches: the provider\'s checksum is not an MD5 of the content here' });
    }
    finish(s, status, 'full', { digests: cmp.digests, regions, blockSize: map?.block_size, findings: [...regions.map(regionFinding), ...findings, ...cmp.findings] });
  }

  async function* sample(s: CopyState, fraction: number, vouchedBy?: Evidence, why?: string): AsyncGenerator<CheckEvent, void> {
    const total = map!.total_blocks;
    const name = s.place.location.name;
    const cycle = continueCoverage(opts.coverage?.(name), map!.file_hash, total, copyIdentity(s.info!));
    const chosen = withinBudget(s, sampleOrder(total, Math.max(1, Math.ceil(total * fraction)), cycle.set));
    if (chosen.length === 0) {
      if (!vouchedBy) return defer(s, 'the sample');
      return finish(s, 'verified', vouchedBy, { findings: [{ severity: 'info', message: `${evidenceName(vouchedBy)} is that of the good bytes; the sample is left for a later run (egress budget spent)` }] });
    }
    const blocks = chosen.sort((a, b) => a - b);
    const got = yield* readSample(s.place.location, ref.key, map!, blocks, opts);
    s.bytesRead += got.bytesRead;
    const bad = [...got.actual.keys()];
    if (bad.length > 0) {
      // Damage found: read the copy whole to locate all of it, not just what the sample hit.
      yield* readFully(s, [{ severity: 'error', message: `${bad.length} of ${got.blocksRead} sampled blocks do not match the block map${vouchedBy ? ` although the ${evidenceName(vouchedBy)} matches (the stored bytes changed after upload)` : ''}` }]);
      return;
    }
    for (const i of blocks) cycle.set.add(i);
    s.coverage = {
      map: map!.file_hash,
      copy: copyIdentity(s.info!),
      blocks: total,
      read: cycle.set.toBase64(),
      cycle_started: cycle.since ?? new Date().toISOString(),
      runs: cycle.runs + 1,
      last_run_blocks: blocks.length,
    };
    const covered = cycle.set.count();
    const pct = ((100 * got.bytesRead) / Math.max(1, s.info!.size)).toFixed(1);
    const findings: Finding[] = [
      { severity: 'info', message: `sampled ${got.blocksRead} of ${total} blocks (${pct}% of the bytes), all match${why ? `; ${why}` : ''}` },
      { severity: 'info', message: `${covered} of ${total} blocks read this cycle (${cycle.runs + 1} ${cycle.runs === 0 ? 'run' : 'runs'})${covered < total ? `; all of them in ${Math.ceil((total - covered) / blocks.length)} more at this rate` : ': every block'}` },
    ];
    finish(s, 'verified', vouchedBy ?? 'sample', { blockSize: map!.block_size, findings });
  }

  /** The longest front of `order` whose blocks this run's egress budget can pay for (all of it without a budget). */
  function withinBudget(s: CopyState, order: number[]): number[] {
    if (!opts.egress || s.place.location.kind === 'local') return order;
    let bytes = 0;
    let n = 0;
    const left = opts.egress.left(s.place.location.name);
    while (n < order.length && bytes + map!.blocks[order[n]!]!.size <= left) bytes += map!.blocks[order[n++]!]!.size;
    opts.egress.take(s.place.location.name, bytes);
    return order.slice(0, n);
  }
}

/** What names the copy whose blocks were read: its ETag, or its size and time where the store gives none. */
function copyIdentity(info: ObjectInfo): string {
  return info.etag ?? `${info.size}@${info.lastModified?.toISOString() ?? ''}`;
}

/** A copy read whole and found good: every block covered. */
function fullCoverage(map: BlockMap, copy: string): CopyCoverage {
  const set = BlockSet.empty(map.total_blocks);
  for (let i = 0; i < map.total_blocks; i++) set.add(i);
  return { map: map.file_hash, copy, blocks: map.total_blocks, read: set.toBase64(), cycle_started: new Date().toISOString(), runs: 1, last_run_blocks: map.total_blocks };
}

/**
 * Bad blocks read a second time: the same wrong bytes confirm the damage,
 * other bytes mean the store or the network is not stable (transient), as
 * `verify` tells for a local disk. Returns the bytes read.
 */
async function rereadBadBlocks(location: Location, key: string, map: BlockMap, read: CopyDigests, signal?: AbortSignal): Promise<number> {
  let bytes = 0;
  for (const [i, first] of [...read.actualBlockDigests].slice(0, MAX_LISTED_BAD_BLOCKS)) {
    const b = map.blocks[i]!;
    const again = await location.readRange(key, b.offset, b.size, { signal });
    bytes += again.length;
    if (sha256Hex(again) !== first) read.blockStates![i] = TRANSIENT;
  }
  return bytes;
}

/** A copy of the wrong size, against the map: a missing tail or extra bytes. */
function sizeRegions(map: BlockMap, size: number): Region[] {
  const states = new Uint8Array(map.total_blocks).fill(OK);
  for (let i = 0; i < map.total_blocks; i++) if (map.blocks[i]!.offset + map.blocks[i]!.size > size) states[i] = MISSING;
  return regionsOf(map, states, size);
}

async function nameMembersFrom(file: string, regions: Region[]): Promise<void> {
  const { nameMembers } = await import('../checks/verify.js');
  await nameMembers(file, regions).catch(() => {});
}
