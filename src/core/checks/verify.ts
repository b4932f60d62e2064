import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EXIT, RestorableError, describeFsError, isFsError } from '../errors.js';
import { emptyFinding, type CheckEvent, type CheckKind, type CheckResult, type Finding, type Region, type Status } from '../events/types.js';
import type { ContentIndex } from '../archive/contents.js';
import type { Algorithm } from '../hash/algorithms.js';
import type { Target } from '../manifest/discover.js';
import type { BlockMap } from '../manifest/model.js';
import { escapesFolder } from '../manifest/resolve.js';
import { describeRegions } from '../forensics/region-forensics.js';
import { loadManifest } from '../manifest/load.js';
import { sidecarNames } from '../manifest/names.js';
import type { TrustedKeys } from '../signing/trust.js';
import type { OpenArchive } from '../archive/open-archive.js';
import type { ArchiveEntry } from '../archive/tar-member.js';
import { basename } from 'node:path';
import { blocksCheck, regionFinding } from './blocks.js';
import { compareDigests, digestsToCompute, expectedDigests } from './compare.js';
import type { CheckContext } from './context.js';
import { hashCheck } from './hash.js';

export interface VerifyOptions {
  /** size only (the `quick` check) */
  quick?: boolean;
  /** verify against the block map (parallel, locates damage) instead of whole-file digests */
  blocks?: boolean;
  /** only these algorithms from the manifests */
  algorithms?: Algorithm[];
  /** every manifest relied on must carry a valid minisign signature by one of these keys */
  trust?: TrustedKeys;
  /** a healthy copy of the backup: damaged regions are compared with it byte for byte (--against) */
  against?: string;
}

/**
 * Verifies one backup against everything its manifests say: size first
 * (cheap), then every digest in one read, then the block map to locate the
 * damage when something did not match. Yields events, ends with `result`.
 */
export async function* verifyTarget(target: Target, ctx: CheckContext, opts: VerifyOptions = {}): AsyncGenerator<CheckEvent, CheckResult> {
  const started = performance.now();
  const { file, expectations } = target;
  const findings: Finding[] = [];
  const checks: CheckKind[] = [];
  let signatures: CheckResult['signatures'];
  const result = (status: Status, extra: Partial<CheckResult> = {}): CheckResult => ({
    file,
    status,
    findings,
    manifests: expectations.map((e) => ({ path: e.manifest, kind: e.kind })),
    ...(signatures ? { signatures } : {}),
    checks,
    checkedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    ...extra,
  });
  const finish = function* (r: CheckResult): Generator<CheckEvent, CheckResult> {
    yield { type: 'result', result: r };
    return r;
  };

  if (expectations.length === 0) {
    if (target.strangers?.length) for (const s of target.strangers) findings.push({ severity: 'error', message: `no manifest for this file: ${s}` });
    else findings.push({ severity: 'error', message: `no manifest found; looked for ${sidecarNames(basename(file)).slice(0, 4).join(', ')}, … and checksum lists such as SHA256SUMS` });
    return yield* finish(result('no_manifest', await sizeOf(file)));
  }
  for (const e of expectations) {
    const escape = await escapesFolder(file, dirname(e.manifest));
    if (escape) {
      findings.push({ severity: 'error', message: escape });
      return yield* finish(result('error'));
    }
  }

  let blockMap = expectations.find((e) => e.blockMap)?.blockMap;
  const sizes = expectations.filter((e) => e.size !== undefined);
  const expectedSize = sizes[0]?.size;
  checks.push('quick');
  yield { type: 'start', file, checks: opts.quick ? ['quick'] : opts.blocks && blockMap ? ['quick', 'blocks'] : ['quick', 'hash'] };

  if (opts.trust) {
    // A forged manifest must not judge the backup: stop before reading it.
    const { checkManifestSignatures } = await import('../signing/trust.js');
    const signed = await checkManifestSignatures(expectations.map((e) => e.manifest), opts.trust);
    signatures = signed.signatures;
    findings.push(...signed.findings);
    yield { type: 'step', file, id: 'signatures', title: 'manifest signatures', state: signed.status ? 'failed' : 'ok', detail: `${signatures.length} checked` };
    if (signed.status) return yield* finish(result(signed.status, await sizeOf(file)));
  }

  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new RestorableError(`${file}: is not a regular file`);
    size = s.size;
  } catch (err) {
    if (isFsError(err, 'ENOENT')) {
      findings.push({ severity: 'error', message: `${file}: missing (listed in ${[...new Set(expectations.map((e) => e.manifest))].join(', ')})` });
      return yield* finish(result('missing', { expectedSize }));
    }
    findings.push({ severity: 'error', message: err instanceof RestorableError ? err.message : describeFsError(err, file) });
    return yield* finish(result('error', { expectedSize }));
  }

  if (size === 0) {
    // A manifest of an empty file may well match it: an empty backup still restores nothing.
    findings.push(emptyFinding(file));
    return yield* finish(result('empty', { size, expectedSize }));
  }
  const wrongSize = sizes.filter((e) => e.size !== size);
  for (const expected of new Set(wrongSize.map((e) => e.size!))) {
    const who = wrongSize.filter((e) => e.size === expected).map((e) => basename(e.manifest));
    const diff = size < expected ? `${expected - size} bytes missing: truncated` : `${size - expected} bytes extra`;
    findings.push({ severity: 'error', message: `size is ${size} bytes, expected ${expected} (${diff}) by ${who.join(', ')}`, offset: Math.min(size, expected) });
  }
  yield { type: 'step', file, id: 'size', title: 'size', state: wrongSize.length ? 'failed' : sizes.length ? 'ok' : 'skipped', detail: `${size} bytes` };

  if (opts.quick) {
    if (sizes.length === 0) findings.push({ severity: 'warning', message: 'no manifest states a size: nothing to compare quickly' });
    return yield* finish(result(wrongSize.length ? 'size_mismatch' : sizes.length ? 'verified' : 'error', { size, expectedSize }));
  }

  // Whole-file digests, unless the block map alone is asked for (or the size already failed).
  let status: Status = wrongSize.length ? 'size_mismatch' : 'verified';
  let extra: Partial<CheckResult> = { size, expectedSize };
  const useBlocksOnly = opts.blocks && blockMap;
  if (!wrongSize.length && !useBlocksOnly) {
    const wanted = expectedDigests(expectations);
    if (opts.algorithms) for (const algo of [...wanted.keys()]) if (!opts.algorithms.includes(algo)) wanted.delete(algo);
    const worth = opts.algorithms ? [...wanted.keys()] : digestsToCompute(wanted);
    for (const a of [...wanted.keys()]) if (!worth.includes(a)) wanted.delete(a);
    if (wanted.size === 0) {
      const available = [...expectedDigests(expectations).keys()].join(', ');
      findings.push({ severity: 'error', message: `no manifest has a digest for the requested algorithms (manifests have: ${available})` });
      return yield* finish(result('error', extra));
    }
    checks.push('hash');
    yield { type: 'step', file, id: 'hash', title: `hash (${[...wanted.keys()].join(', ')})`, state: 'running' };
    const digest = yield* hashCheck(file, [...wanted.keys()], ctx);
    if (digest.changed) {
      findings.push({ severity: 'error', message: `${file}: changed while it was read (${digest.changed}); check again when it is complete` });
      return yield* finish(result('changed', extra));
    }
    const compared = compareDigests(wanted, digest.digests);
    findings.push(...compared.findings);
    extra = { ...extra, digests: compared.digests };
    yield { type: 'step', file, id: 'hash', title: 'hash', state: compared.allOk ? 'ok' : 'failed' };
    if (!compared.allOk) status = 'hash_mismatch';
  }

  if (!blockMap && status !== 'verified') blockMap = await loadLocator(target, findings, opts.trust);
  if (blockMap && (status !== 'verified' || useBlocksOnly)) {
    checks.push('blocks');
    // Blocks alone, on a file of the right size: its file_hash is checked in the same read, so the
    // verdict is the one the block map gives when it is verified as a manifest (verify X.blocks.json).
    const withFileHash = Boolean(useBlocksOnly && !wrongSize.length);
    const located = yield* locate(file, blockMap, ctx, findings, opts.trust, withFileHash, opts.against);
    if (located === 'changed') return yield* finish(result('changed', extra));
    extra = { ...extra, ...located.extra };
    if (located.damaged && status !== 'size_mismatch') status = 'corrupt_blocks';
    const map = blockMap;
    const mapManifest = expectations.find((e) => e.blockMap === map)?.manifest ?? `${file}.blocks.json`;
    const mapDisagrees = (sha256: string) => `${mapManifest} is inconsistent: every block matches its digest, but the file's sha256 is ${sha256}; remake it from a good copy (restorable manifest --blocks --force)`;
    if (!located.damaged && withFileHash && located.fileSha256 !== map.file_hash) {
      extra = { ...extra, digests: { sha256: { expected: map.file_hash, actual: located.fileSha256, ok: false, sources: [mapManifest] } } };
      status = inconsistent(mapDisagrees(`${located.fileSha256}, not its file_hash ${map.file_hash}`));
    } else if (!located.damaged && status === 'hash_mismatch') {
      const failed = Object.values(extra.digests ?? {}).filter((d) => !d.ok).flatMap((d) => d.sources);
      const own = failed.length > 0 && failed.every((m) => m === mapManifest);
      status = inconsistent(
        own
          ? mapDisagrees('not its file_hash')
          : `the manifests disagree: every block matches ${mapManifest}, which vouches for every byte, but ${[...new Set(failed)].join(', ')} ${failed.length === 1 ? 'states' : 'state'} another digest; one of them was not made from this file`,
      );
    }
  } else if (status !== 'verified') {
    findings.push({ severity: 'info', message: 'no block map: create one with `restorable manifest --blocks` to locate damage next time' });
  }
  return yield* finish(result(status, extra));

  /** Manifests that contradict each other cannot judge the backup: that is "could not tell", not damage. */
  function inconsistent(message: string): Status {
    findings.push({ severity: 'error', message });
    return 'error';
  }
}

async function* locate(
  file: string,
  map: BlockMap,
  ctx: CheckContext,
  findings: Finding[],
  trust: TrustedKeys | undefined,
  withFileHash = false,
  against?: string,
): AsyncGenerator<CheckEvent, 'changed' | { damaged: boolean; extra: Partial<CheckResult>; fileSha256?: string }> {
  yield { type: 'step', file, id: 'blocks', title: `blocks (${map.total_blocks} of ${map.block_size} bytes each)`, state: 'running' };
  const outcome = yield* blocksCheck(file, map, ctx, { withFileHash });
  if (outcome.changed) {
    findings.push({ severity: 'error', message: `${file}: changed while it was read (${outcome.changed}); check again when it is complete` });
    return 'changed';
  }
  await nameMembers(file, outcome.regions, trust).catch((err: Error) => findings.push({ severity: 'warning', message: `cannot name the damaged members: ${err.message}` }));
  await describeRegions(file, outcome.regions, against).catch((err: Error) => findings.push({ severity: 'warning', message: `cannot look into the damaged regions: ${err.message}` }));
  findings.push(...outcome.regions.map(regionFinding));
  const damaged = outcome.regions.length > 0;
  yield { type: 'step', file, id: 'blocks', title: 'blocks', state: damaged ? 'failed' : 'ok', detail: damaged ? `${plural(outcome.badBlockCount, 'bad block')} in ${plural(outcome.regions.length, 'region')}` : undefined };
  return { damaged, extra: { blockSize: map.block_size, regions: outcome.regions, badBlocks: outcome.badBlocks }, fileSha256: outcome.fileSha256 };
}

async function sizeOf(file: string): Promise<{ size?: number }> {
  try {
    return { size: (await stat(file)).size };
  } catch {
    return {};
  }
}

/** The block map beside a backup checked through another manifest, read only when damage needs locating. */
async function loadLocator(target: Target, findings: Finding[], trust: TrustedKeys | undefined): Promise<BlockMap | undefined> {
  for (const path of target.locators) {
    const untrusted = trust && (await (await import('../signing/trust.js')).untrustedReason(path, trust));
    if (untrusted) {
      findings.push({ severity: 'warning', message: `not used to locate damage: ${untrusted.message}` });
      continue;
    }
    try {
      const found = (await loadManifest(path)).find((e) => e.file === target.file && e.blockMap);
      if (found) return found.blockMap;
    } catch (err) {
      findings.push({ severity: 'warning', message: `cannot use the block map to locate damage: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return undefined;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** For an uncompressed tar, the members each damaged region falls in, from the headers. */
export async function nameMembers(file: string, regions: Region[], trust?: TrustedKeys): Promise<void> {
  if (regions.length === 0) return;
  const { openArchive } = await import('../archive/open-archive.js');
  const archive = await openArchive(file).catch(() => undefined);
  if (!archive) return;
  const { handle } = archive;
  try {
    if (archive.container !== 'tar') return;
    if (archive.compression !== 'none') return await nameCompressedMembers(file, archive, regions, trust);
    const { indexPlainTar, membersIn } = await import('../archive/tar-index.js');
    const extents = await indexPlainTar(handle, archive.before.size);
    for (const r of regions) {
      if (r.kind === 'extra') continue;
      const names = membersIn(extents, r.offset, r.length);
      if (names.length > 0) r.members = names;
    }
  } finally {
    await handle.close();
  }
}

/** The first restart point of the index past compressed byte `at` that says where its output belongs. */
function nextRestart(index: ContentIndex, at: number): { compressed: number; uncompressed: number } | undefined {
  const p = (index.restart_points ?? []).find((x) => x.compressed > at && x.uncompressed !== undefined);
  return p && { compressed: p.compressed, uncompressed: p.uncompressed! };
}

/**
 * A compressed tar's damage, named through its content index (`manifest
 * --contents`), when there is one: the archive is read and every file's
 * sha256 compared with the index, so each region names exactly the members
 * that differ (the same list the deep check and the restore test give), or,
 * where the stream cannot be read past the damage, the member it stopped in
 * and how many were lost after it.
 */
async function nameCompressedMembers(file: string, archive: OpenArchive, regions: Region[], trust?: TrustedKeys): Promise<void> {
  const untrusted = async (path: string) => {
    const reason = trust && (await (await import('../signing/trust.js')).untrustedReason(path, trust));
    return reason ? new RestorableError(reason.message, reason.tampered ? EXIT.integrity : EXIT.cannotCheck) : undefined;
  };
  const { loadContentIndex } = await import('../archive/contents-schema.js');
  const { readTar } = await import('../archive/tar-reader.js');
  const { judgeMembers } = await import('../archive/member-check.js');
  const { index } = await loadContentIndex(file, archive.before.size, untrusted);
  if (!index) return;
  const listing: ArchiveEntry[] = [];
  const summary = await readTar(archive.handle, file, archive, archive.before.size, async (entry) => void listing.push(entry), { sha256: true });
  const stop = summary.failure && !summary.failure.checksum ? summary.failure : undefined;
  const verdict = judgeMembers(index, listing, stop ? { member: stop.member } : undefined);
  const damage = regions.filter((r) => r.kind !== 'extra').sort((a, b) => a.offset - b.offset);
  if (damage.length === 0) return;
  // Each member goes to the last region that starts (in uncompressed bytes) before it ends.
  const startOf = (r: Region) => [...index.checkpoints].reverse().find((c) => c.compressed <= r.offset)?.uncompressed ?? 0;
  const where = new Map(index.members.map((m) => [m.path, m]));
  const regionOf = (path: string) => {
    const m = where.get(path);
    return [...damage].reverse().find((r) => !m || startOf(r) <= m.offset + m.size) ?? damage[0]!;
  };
  for (const d of verdict.damaged) {
    const r = regionOf(d.path);
    (r.members ??= []).push(d.path);
  }
  if (stop?.member && verdict.notReached.length) {
    const r = regionOf(stop.member);
    r.members = [stop.member, ...(r.members ?? []).filter((m) => m !== stop.member)];
    // With restart points, decoding picks up again at the first one past the damage (as salvage does):
    // only the members before it are spoiled.
    const resume = nextRestart(index, stop.compressedOffset);
    if (resume) r.resumesAt = resume;
    r.affectedMembers = resume ? 1 + verdict.notReached.filter((p) => (where.get(p)?.offset ?? 0) < resume.uncompressed).length : verdict.notReached.length + 1;
    // Regions past the stop were never read: the index still says which member each falls in.
    for (const later of damage.filter((d) => d.offset > stop.compressedOffset && !d.members)) {
      const next = nextRestart(index, later.offset);
      const spoiled = index.members.filter((m) => m.offset + m.size > startOf(later) && (!next || m.offset < next.uncompressed));
      if (spoiled.length) Object.assign(later, { members: [spoiled[0]!.path], affectedMembers: spoiled.length, ...(next ? { resumesAt: next } : {}) });
    }
  }
}
