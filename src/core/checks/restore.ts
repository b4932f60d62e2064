import { lstat, mkdir, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyBackupResult, openArchive, stepsFor } from '../archive/open-archive.js';
import { DEFAULT_LIMITS, type ExtractLimits } from '../archive/sandbox.js';
import { RestorableError, fsError, throwIfAborted } from '../errors.js';
import type { CheckEvent, CheckResult, Finding, RestoreReport, Status } from '../events/types.js';
import { changedSince } from '../hash/file-identity.js';
import { makeTempDir, type TempDir } from '../temp-paths.js';
import { extractArchive, neededBytes } from './extract.js';
import { judgeTarRead } from './tar-verdict.js';
import { loadContentIndex } from '../archive/contents-schema.js';
import { TAR_FORMATS } from '../archive/detect.js';

export interface RestoreOptions {
  /** restore here and keep the result (must be empty or new); default: a temp folder, removed after */
  target?: string;
  tempDir?: string;
  limits?: ExtractLimits;
  signal?: AbortSignal;
}


/**
 * The restore test: extracts the archive as a restore would (into a temp
 * folder, or --target), after checking there is room; then checks every
 * restored member against the archive's own listing (type, size, mode) and
 * reports how long the restore took: the recovery-time figure to plan with.
 * The temp folder is removed on success, failure and interruption.
 */
export async function* restoreTest(file: string, opts: RestoreOptions = {}): AsyncGenerator<CheckEvent, CheckResult> {
  const started = performance.now();
  const findings: Finding[] = [];
  const step = stepsFor(file);
  yield { type: 'start', file, checks: ['restore'] };
  const archive = await openArchive(file, opts.signal);
  const { handle, before, compression, container } = archive;
  let temp: TempDir | undefined;
  try {
    if (before.size === 0) {
      const empty = emptyBackupResult(file, 'restore', started);
      yield { type: 'result', result: empty };
      return empty;
    }
    if (container !== 'tar') throw new RestorableError(`${file}: a restore test needs a tar archive (${TAR_FORMATS}); use \`restorable deep\` for dumps`);

    let target: string;
    if (opts.target) {
      await mkdir(opts.target, { recursive: true }).catch((err) => {
        throw fsError(err, opts.target!);
      });
      if ((await readdir(opts.target)).length > 0) throw new RestorableError(`${opts.target}: not empty; a restore test needs an empty or new folder`);
      target = opts.target;
    } else {
      temp = await makeTempDir('restorable-restore-', opts.tempDir);
      target = temp.path;
    }
    const need = await neededBytes(handle, before.size, compression);
    const fs = await statfs(target);
    const free = fs.bavail * fs.bsize;
    if (need !== undefined && need > free) throw new RestorableError(`${target}: ${free} bytes free, the archive needs at least ${need}; choose another place with --target or --temp-dir`);
    yield step('space', 'free space', 'ok', need === undefined ? `${free} bytes free (archive size unknown until read)` : `${need} bytes needed, ${free} free`);

    const { index, warning } = await loadContentIndex(file, before.size);
    if (warning) findings.push({ severity: 'warning', message: warning });
    yield step('restore', `restore into ${target}`, 'running');
    const t0 = performance.now();
    const { summary, box, listing } = yield* extractArchive(file, archive, target, { limits: opts.limits ?? DEFAULT_LIMITS, signal: opts.signal, materialiseLinks: true, sha256: index !== undefined, needed: need });
    const seconds = (performance.now() - t0) / 1000;
    findings.push(...box.findings);
    const judged = judgeTarRead({ summary, listing, index, fileSize: before.size, compression, head: archive.head });
    findings.push(...judged.findings);
    yield step('restore', `restore into ${target}`, summary.failure ? 'failed' : 'ok', `${box.stats.bytes} bytes in ${seconds.toFixed(2)} s`);
    if (index) yield step('digests', 'compare every file with the content index (sha256, taken as it was restored)', judged.verdict?.damaged.length || judged.verdict?.missing.length ? 'failed' : 'ok', `${judged.verdict?.intact ?? 0} files match`);

    // Compare what is on disk now with what the archive said it holds (the last member of a name wins).
    yield step('compare', 'compare the restored files with the archive listing', 'running');
    let mismatches = judged.verdict ? judged.verdict.damaged.length + judged.verdict.missing.length : 0;
    const refused = new Set(box.findings.filter((f) => f.member && f.severity === 'error').map((f) => f.member));
    const last = new Map(listing.map((e) => [e.path, e]));
    for (const e of last.values()) {
      throwIfAborted(opts.signal);
      if (refused.has(e.path) || e.type !== 'file' || !e.facts) continue;
      const on = await lstat(join(target, e.path)).catch(() => undefined);
      const problem = !on ? 'missing after the restore' : !on.isFile() ? 'not a regular file' : on.size !== e.size ? `${on.size} bytes, the archive says ${e.size}` : (on.mode & 0o777) !== (e.mode & 0o777) ? `mode ${(on.mode & 0o777).toString(8)}, the archive says ${(e.mode & 0o777).toString(8)}` : undefined;
      if (problem) {
        mismatches++;
        if (mismatches <= 20) findings.push({ severity: 'error', message: `${e.path}: ${problem}`, member: e.path });
      }
    }
    yield step('compare', 'compare the restored files with the archive listing', mismatches ? 'failed' : 'ok', `${box.stats.files} files`);

    const changed = await changedSince(handle, file, before);
    if (changed) findings.push({ severity: 'error', message: `${file}: changed while it was read (${changed})` });
    const status: Status = changed ? 'changed' : judged.environment ? 'error' : judged.damaged ? 'archive_damaged' : findings.some((f) => f.severity === 'error') ? 'deep_failed' : 'verified';
    const restore: RestoreReport = { target, kept: !temp, seconds, bytesPerSec: seconds > 0 ? box.stats.bytes / seconds : 0, restoredFiles: box.stats.files, restoredBytes: box.stats.bytes, mismatches };
    if (temp) {
      yield step('cleanup', 'remove the restored files', 'running', temp.path);
      await temp.remove();
      temp = undefined;
      yield step('cleanup', 'remove the restored files', 'ok');
    }
    const result: CheckResult = { file, status, size: before.size, findings, manifests: [], checks: ['restore'], checkedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - started), restore, salvage: judged.salvage, archive: { format: archive.format, entries: summary.entries, contentBytes: summary.contentBytes, compressedBytes: summary.compressedBytes, uncompressedBytes: summary.uncompressedBytes, complete: summary.complete, trailingBytes: summary.trailingBytes, files: box.stats.files, directories: box.stats.directories, links: box.stats.links, ...judged.archive } };
    yield { type: 'result', result };
    return result;
  } finally {
    if (temp) await temp.remove().catch(() => {});
    await handle.close();
  }
}
