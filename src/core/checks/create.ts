import { access, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { RestorableError, UsageError, fsError, isFsError } from '../errors.js';
import type { CheckEvent, CheckResult, DigestComparison, Finding, SignatureCheck } from '../events/types.js';
import { STORE_CHECKSUMS, type Algorithm } from '../hash/algorithms.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import { checksumLine } from '../manifest/checksum-file.js';
import { buildBlockMap, renderBlockMap, renderJsonManifest } from '../manifest/writers.js';
import { BLOCK_MAP_SUFFIX, JSON_MANIFEST_SUFFIX, manifestFileKind } from '../manifest/names.js';
import type { SecretKey } from '../signing/keys.js';
import { SIGNATURE_SUFFIX, keyIdHex } from '../signing/minisign-format.js';
import type { CheckContext } from './context.js';
import { hashCheck } from './hash.js';

export const DEFAULT_BLOCK_SIZE = 1024 * 1024;

export interface CreateOptions {
  algorithms: Algorithm[];
  /** also write NAME.blocks.json with blocks of this size */
  blockSize?: number;
  /** also write NAME.sha256 that `sha256sum -c` accepts */
  sha256sum?: boolean;
  /** false: leave out the CRC64NVME and CRC32C that let a bucket's own checksum vouch for a copy */
  storeChecksums?: boolean;
  /** replace manifests that exist */
  force?: boolean;
  /** also write NAME.contents.json, the content index of a tar archive */
  contents?: boolean;
  /** false: the content index without restart points */
  restartPoints?: boolean;
  /** sign every manifest written: FILE.minisig beside each, as `minisign -S` writes it */
  signer?: SecretKey;
  now?: Date;
}

export interface CreateResult extends CheckResult {
  written: string[];
}

/** The manifests `createManifests` would write for `file`. */
export function outputsFor(file: string, opts: Pick<CreateOptions, 'blockSize' | 'sha256sum' | 'contents'>): string[] {
  return [
    `${file}${JSON_MANIFEST_SUFFIX}`,
    ...(opts.blockSize ? [`${file}${BLOCK_MAP_SUFFIX}`] : []),
    ...(opts.sha256sum ? [`${file}.sha256`] : []),
    ...(opts.contents ? [`${file}${CONTENTS_SUFFIX}`] : []),
  ];
}

export const CONTENTS_SUFFIX = '.contents.json';

/**
 * Writes sidecar manifests for one backup from a single read of it: the JSON
 * manifest (always with sha256), and on request the block map and a
 * sha256sum-compatible line. Nothing is written if the file changed while it
 * was read; every write is atomic; the backup itself is only read.
 */
export async function* createManifests(file: string, ctx: CheckContext, opts: CreateOptions): AsyncGenerator<CheckEvent, CreateResult> {
  const started = performance.now();
  const name = basename(file);
  if (manifestFileKind(name)) throw new UsageError(`${file}: is a manifest itself; give the backup it describes`);
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw fsError(err, file);
  }
  if (!info.isFile()) throw new RestorableError(`${file}: is not a regular file`);

  const outputs = outputsFor(file, opts);
  if (!opts.force) {
    for (const out of opts.signer ? [...outputs, ...outputs.map((o) => `${o}${SIGNATURE_SUFFIX}`)] : outputs) {
      try {
        await access(out);
        throw new RestorableError(`${out}: already exists (use --force to replace it)`);
      } catch (err) {
        if (!isFsError(err, 'ENOENT')) throw err instanceof RestorableError ? err : fsError(err, out);
      }
    }
  }

  const algorithms = [...new Set<Algorithm>(['sha256', ...opts.algorithms, ...(opts.storeChecksums === false ? [] : STORE_CHECKSUMS)])];
  yield { type: 'start', file, checks: ['hash', ...(opts.blockSize ? (['blocks'] as const) : [])] };
  yield { type: 'step', file, id: 'hash', title: `hash (${algorithms.join(', ')}${opts.blockSize ? ', blocks' : ''})`, state: 'running' };
  const digest = yield* hashCheck(file, algorithms, ctx, opts.blockSize);
  const base = { file, size: digest.bytes, manifests: [], checks: opts.blockSize ? (['hash', 'blocks'] as const) : (['hash'] as const) };
  if (digest.changed) {
    const result: CreateResult = {
      ...base,
      checks: [...base.checks],
      status: 'changed',
      findings: [{ severity: 'error', message: `${file}: changed while it was read (${digest.changed}); no manifest written` }],
      checkedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - started),
      written: [],
    };
    yield { type: 'result', result };
    return result;
  }
  yield { type: 'step', file, id: 'hash', title: 'hash', state: 'ok' };

  const now = opts.now ?? new Date();
  const sha256 = digest.digests.sha256!;
  const files: [string, string][] = [[outputs[0]!, renderJsonManifest({ backupFile: name, size: digest.bytes, digests: digest.digests, createdAt: now })]];
  if (opts.blockSize) {
    const map = buildBlockMap(name, digest.bytes, opts.blockSize, sha256, digest.blockDigests ?? []);
    files.push([`${file}${BLOCK_MAP_SUFFIX}`, renderBlockMap(map)]);
  }
  if (opts.sha256sum) files.push([`${file}.sha256`, checksumLine(sha256, name)]);
  if (opts.contents) {
    yield { type: 'step', file, id: 'contents', title: 'content index (every member and its sha256)', state: 'running' };
    const { buildContentIndex } = await import('../archive/contents.js');
    const index = await buildContentIndex(file, { restartPoints: opts.restartPoints }).catch((err: Error) => {
      throw new RestorableError(err.message);
    });
    files.push([`${file}${CONTENTS_SUFFIX}`, `${JSON.stringify(index, null, 1)}\n`]);
    yield { type: 'step', file, id: 'contents', title: 'content index (every member and its sha256)', state: 'ok', detail: `${index.members.length} members` };
  }
  const written: string[] = [];
  const signatures: SignatureCheck[] = [];
  const findings: Finding[] = [];
  const signing = opts.signer && { key: opts.signer, keyId: keyIdHex(opts.signer.keyId), ...(await import('../signing/signature.js')) };
  for (const [path, text] of files) {
    await atomicWrite(path, text, { overwrite: opts.force });
    written.push(path);
    yield { type: 'step', file, id: `write:${path}`, title: `wrote ${basename(path)}`, state: 'ok' };
    const sigPath = `${path}${SIGNATURE_SUFFIX}`;
    if (signing) {
      // Signed from the bytes just written, so the signature covers exactly what is on disk.
      await atomicWrite(sigPath, await signing.signatureText(Buffer.from(text, 'utf8'), basename(path), signing.key, now), { overwrite: opts.force });
      signatures.push({ manifest: path, state: 'valid', keyId: signing.keyId });
      yield { type: 'step', file, id: `sign:${path}`, title: `signed ${basename(path)}`, state: 'ok' };
    } else if (await access(sigPath).then(() => true, () => false)) {
      findings.push({ severity: 'warning', message: `${sigPath}: left from an earlier signing and no longer matches ${basename(path)}; sign again with --sign KEY` });
    }
  }

  const digests: Partial<Record<Algorithm, DigestComparison>> = {};
  for (const [algo, value] of Object.entries(digest.digests) as [Algorithm, string][]) {
    digests[algo] = { expected: value, actual: value, ok: true, sources: [outputs[0]!] };
  }
  const result: CreateResult = {
    ...base,
    checks: [...base.checks],
    status: 'manifest_created',
    digests,
    blockSize: opts.blockSize,
    manifests: written.map((path) => ({ path, kind: path.endsWith(BLOCK_MAP_SUFFIX) ? 'block-map' : path.endsWith('.sha256') ? 'coreutils' : 'json' })),
    ...(opts.signer ? { signatures } : {}),
    findings,
    checkedAt: now.toISOString(),
    durationMs: Math.round(performance.now() - started),
    written,
  };
  yield { type: 'result', result };
  return result;
}
