import { basename } from 'node:path';
import { decompress } from '../archive/decompress.js';
import { readBackup } from '../archive/read-stream.js';
import { SqlScanner } from '../dumps/sql-scan.js';
import { dumpReport, isDumpMember, watchDumpMember } from '../dumps/dump-watch.js';
import { runPgRestore } from '../dumps/pg-restore.js';
import { checkSqliteFile } from '../dumps/sqlite-file.js';
import { emptyBackupResult, openArchive, stepsFor } from '../archive/open-archive.js';
import { DEFAULT_LIMITS, type ExtractLimits } from '../archive/sandbox.js';
import type { CheckEvent, CheckResult, DumpReport, Finding, SalvagePast, Status } from '../events/types.js';
import { AbortError, isAbort, throwIfAborted } from '../errors.js';
import { changedSince } from '../hash/file-identity.js';
import { makeTempDir, type TempDir } from '../temp-paths.js';
import { extractArchive } from './extract.js';
import { judgeTarRead } from './tar-verdict.js';
import { loadContentIndex } from '../archive/contents-schema.js';
import { TAR_FORMATS } from '../archive/detect.js';

export interface DeepOptions {
  /** where the sandbox folder is made (default: the system's temp folder) */
  tempDir?: string;
  limits?: ExtractLimits;
  signal?: AbortSignal;
}

/** Runs salvage into a folder of its own (removed after) and counts what it made of the members; undefined if it could not run. */
async function salvagePast(file: string, opts: DeepOptions): Promise<SalvagePast | undefined> {
  const dir = await makeTempDir('restorable-deep-salvage-', opts.tempDir);
  try {
    const { salvage } = await import('../salvage/salvage.js');
    const run = salvage(file, dir.path);
    let next = await run.next();
    while (!next.done) {
      throwIfAborted(opts.signal);
      next = await run.next();
    }
    const r = next.value;
    return { ...r.counts, resumedAt: r.resumes.map((x) => x.compressed) };
  } catch (err) {
    if (isAbort(err, opts.signal)) throw err;
    return undefined;
  } finally {
    await dir.remove();
  }
}

/**
 * The deep check: reads the archive once, from one descriptor, listing every
 * member and extracting it into a fresh sandbox folder; then counts files,
 * empty files and files nobody may read, checks dumps for their completion
 * trailer, and removes the sandbox whatever happened. A damaged archive gets
 * a salvage report: where reading stopped and what was read before it.
 * With a content index, every file is checked against it by name.
 */
export async function* deepCheck(file: string, opts: DeepOptions = {}): AsyncGenerator<CheckEvent, CheckResult> {
  const started = performance.now();
  const findings: Finding[] = [];
  const step = stepsFor(file);
  yield { type: 'start', file, checks: ['deep'] };
  const archive = await openArchive(file, opts.signal);
  const { handle, before, compression, container, format, head } = archive;
  let sandbox: TempDir | undefined;
  try {
    yield step('open', `open (${format})`, before.size === 0 ? 'failed' : 'ok', `${before.size} bytes`);
    if (before.size === 0) {
      const empty = emptyBackupResult(file, 'deep', started);
      yield { type: 'result', result: empty };
      return empty;
    }

    let result: Partial<CheckResult>;
    /** stopped by this machine (no room for the sandbox): "could not check", not a verdict */
    let environmentStop = false;
    /** the archive's bytes are damaged: a stop, a failed stream check, members unlike the content index */
    let damaged = false;
    if (container === 'tar') {
      const { index, warning } = await loadContentIndex(file, before.size);
      if (warning) findings.push({ severity: 'warning', message: warning });
      sandbox = await makeTempDir('restorable-deep-', opts.tempDir);
      const dumps: ReturnType<typeof watchDumpMember>[] = [];
      yield step('read', 'read every member and extract it into a sandbox', 'running', sandbox.path);
      const { summary, box, listing } = yield* extractArchive(file, archive, sandbox.path, {
        limits: opts.limits ?? DEFAULT_LIMITS,
        signal: opts.signal,
        sha256: index !== undefined,
        watch: (entry, content) => {
          if (!isDumpMember(entry.path) || entry.type !== 'file') return content;
          const dump = watchDumpMember(entry.path, content);
          dumps.push(dump);
          return dump.content;
        },
      });
      findings.push(...box.findings);
      let judged = judgeTarRead({ summary, listing, index, fileSize: before.size, compression, head });
      if (judged.salvage) {
        // Past the damage: what salvage gets back, so that "lost" here means what salvage would lose too.
        yield step('salvage', 'read past the damage, as restorable salvage does', 'running');
        const past = await salvagePast(file, opts);
        if (past) judged = judgeTarRead({ summary, listing, index, fileSize: before.size, compression, head, past });
        yield step('salvage', 'read past the damage, as restorable salvage does', past ? 'ok' : 'skipped', past ? `${past.verified + past.recovered} of ${past.verified + past.recovered + past.damaged + past.lost} files back` : 'salvage could not run here');
      }
      findings.push(...judged.findings);
      const stats = box.stats;
      yield step('read', 'read every member and extract it into a sandbox', summary.failure ? 'failed' : 'ok', `${summary.entries} members, ${summary.contentBytes} bytes`);
      if (index) yield step('members', 'compare every file with the content index (sha256)', judged.verdict?.damaged.length || judged.verdict?.missing.length ? 'failed' : 'ok', `${judged.verdict?.intact ?? 0} files match`);
      environmentStop = judged.environment;
      damaged = judged.damaged;
      yield step('files', 'count files', 'ok', `${stats.files} files, ${stats.directories} folders, ${stats.links} links`);
      const reports: DumpReport[] = [];
      for (const d of dumps) {
        const { report, findings: found } = await d.done();
        reports.push(report);
        findings.push(...found);
      }
      if (reports.length) yield step('dumps', `SQL dumps (${reports.length}): rows per table, COPY blocks, trailers`, reports.some((r) => !r.complete) || findings.some((f) => f.severity === 'error' && f.member && reports.some((r) => r.name === f.member)) ? 'failed' : 'ok', `${reports.reduce((n, r) => n + r.rows, 0)} rows in ${reports.reduce((n, r) => n + r.tables.length, 0)} tables`);
      result = {
        archive: { format, entries: summary.entries, contentBytes: summary.contentBytes, compressedBytes: summary.compressedBytes, uncompressedBytes: summary.uncompressedBytes, complete: summary.complete, trailingBytes: summary.trailingBytes, files: stats.files, directories: stats.directories, links: stats.links, ...judged.archive },
        salvage: judged.salvage,
        ...(reports.length ? { dumps: reports } : {}),
      };
    } else if (container === 'sql') {
      yield step('read', 'read the dump to its end: rows per table, COPY blocks, trailer', 'running');
      const input = readBackup(handle);
      const dec = await decompress(input, compression, file);
      const scanner = new SqlScanner();
      let bytes = 0;
      let readError: string | undefined;
      try {
        for await (const chunk of dec.output as AsyncIterable<Buffer>) {
          throwIfAborted(opts.signal);
          scanner.push(chunk);
          bytes += chunk.length;
        }
      } catch (err) {
        if (isAbort(err, opts.signal)) {
          input.destroy();
          throw new AbortError();
        }
        dec.rethrowReadError();
        readError = err instanceof Error ? err.message : String(err);
      }
      await dec.finished;
      const problem = dec.problem() ?? (readError ? `${compression}: ${readError}` : undefined);
      if (problem) findings.push({ severity: 'error', message: `${problem} at byte ${dec.consumed()} of the file`, offset: dec.consumed() });
      const { report, findings: found } = dumpReport(basename(file), scanner.finish());
      findings.push(...found);
      const bad = problem || found.some((f) => f.severity === 'error');
      yield step('read', 'read the dump to its end: rows per table, COPY blocks, trailer', bad ? 'failed' : 'ok', `${bytes} bytes of SQL, ${report.rows} rows in ${report.tables.length} tables`);
      result = { archive: { format, entries: 1, contentBytes: bytes, compressedBytes: dec.consumed(), uncompressedBytes: bytes, complete: !problem, trailingBytes: 0 }, dumps: [report] };
    } else if (container === 'pg-custom') {
      const ok = Buffer.from(head.subarray(0, 5)).toString('latin1') === 'PGDMP';
      findings.push(ok ? { severity: 'info', message: 'pg_dump custom-format header is present' } : { severity: 'error', message: 'not a pg_dump custom-format file (no PGDMP header)' });
      yield step('read', 'pg_dump custom-format header', ok ? 'ok' : 'failed');
      let entries = 1;
      let customReport: DumpReport | undefined;
      if (ok) {
        yield step('toc', 'pg_restore --list (the table of contents)', 'running');
        const listed = await runPgRestore(handle, ['--list'], { signal: opts.signal });
        if (listed.missing) findings.push({ severity: 'info', message: 'pg_restore is not installed: only the header was checked (Debian: apt-get install postgresql-client)' });
        else if (listed.error) findings.push({ severity: 'error', message: `pg_restore --list: ${listed.error}` });
        else entries = listed.stdout.split('\n').filter((l) => l.trim() && !l.startsWith(';')).length;
        yield step('toc', 'pg_restore --list (the table of contents)', listed.missing ? 'skipped' : listed.error ? 'failed' : 'ok', listed.missing ? 'pg_restore not installed' : listed.error ? undefined : `${entries} entries`);
        if (!listed.missing && !listed.error) {
          // Every block decompressed, as SQL, through the same scan as a plain dump: rows per table, COPY blocks, trailer.
          yield step('data', 'pg_restore -f - (every data block read): rows per table', 'running');
          const scanner = new SqlScanner();
          const full = await runPgRestore(handle, ['-f', '-'], { signal: opts.signal, onOutput: (chunk) => scanner.push(chunk) });
          const scanned = dumpReport(basename(file), scanner.finish());
          customReport = { ...scanned.report, tool: 'pg_dump custom' };
          if (full.error) findings.push({ severity: 'error', message: full.error.startsWith('pg_restore:') ? full.error : `pg_restore: ${full.error}` });
          findings.push(...scanned.findings);
          yield step('data', 'pg_restore -f - (every data block read): rows per table', full.error || scanned.findings.some((f) => f.severity === 'error') ? 'failed' : 'ok', `${customReport.rows} rows in ${customReport.tables.length} tables`);
        }
      }
      result = { archive: { format, entries, contentBytes: before.size, compressedBytes: before.size, uncompressedBytes: before.size, complete: ok && !findings.some((f) => f.severity === 'error'), trailingBytes: 0 }, ...(customReport ? { dumps: [customReport] } : {}) };
    } else if (container === 'sqlite' && compression === 'none' && !handle.currentIdentity) {
      // A SQLite database (a `.backup` or a copy of the file): sqlite3 reads every page of it.
      yield step('read', 'PRAGMA integrity_check (sqlite3): every page and index, then rows per table', 'running');
      const checked = await checkSqliteFile(file, { signal: opts.signal });
      throwIfAborted(opts.signal);
      if (checked.missing) findings.push({ severity: 'error', message: 'sqlite3 is not installed, so the database cannot be checked (Debian: apt-get install sqlite3)' });
      findings.push(...checked.findings);
      const rows = checked.tables.reduce((n, t) => n + t.rows, 0);
      yield step('read', 'PRAGMA integrity_check (sqlite3): every page and index, then rows per table', checked.missing ? 'skipped' : checked.findings.length ? 'failed' : 'ok', `${rows} rows in ${checked.tables.length} tables`);
      result = checked.missing
        ? {}
        : { archive: { format: 'sqlite', entries: checked.tables.length, contentBytes: before.size, compressedBytes: before.size, uncompressedBytes: before.size, complete: !checked.findings.length, trailingBytes: 0 }, dumps: [{ name: basename(file), tool: 'sqlite3 database', complete: !checked.findings.length, tables: checked.tables, rows }] };
    } else if (container === 'sqlite') {
      // sqlite3 opens files by name: a compressed one (or an object in a bucket) must be laid out first, which a drill does.
      findings.push({ severity: 'error', message: `a SQLite database ${compression === 'none' ? 'in a storage location' : `compressed with ${compression}`}: restorable drill checks it (in a folder of its own)` });
      result = {};
    } else {
      findings.push({ severity: 'error', message: `not an archive or dump restorable can read (${TAR_FORMATS}; .sql, .sql.gz; pg_dump custom; a SQLite database file)` });
      result = {};
    }

    const changed = await changedSince(handle, file, before);
    if (changed) findings.push({ severity: 'error', message: `${file}: changed while it was read (${changed})` });
    const status: Status = changed
      ? 'changed'
      : result.archive && !result.archive.complete && environmentStop
        ? 'error'
      : damaged
        ? 'archive_damaged'
        : !result.archive
          ? 'error'
          : findings.some((f) => f.severity === 'error')
            ? 'deep_failed'
            : 'verified';
    const final: CheckResult = {
      file,
      status,
      size: before.size,
      findings,
      manifests: [],
      checks: ['deep'],
      checkedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - started),
      ...result,
    };
    if (sandbox) {
      yield step('cleanup', 'remove the sandbox', 'running', sandbox.path);
      await sandbox.remove();
      sandbox = undefined;
      yield step('cleanup', 'remove the sandbox', 'ok');
    }
    yield { type: 'result', result: final };
    return final;
  } finally {
    // On failure or interruption too: nothing is left in the temp folder.
    if (sandbox) await sandbox.remove().catch(() => {});
    await handle.close();
  }
}
