import { decompress } from '../archive/decompress.js';
import { openArchive, stepsFor } from '../archive/open-archive.js';
import { readBackup } from '../archive/read-stream.js';
import { dumpedBy, dumpToolOf } from '../dumps/dump-tools.js';
import { SqlScanner, type SqlScanReport } from '../dumps/sql-scan.js';
import { RestorableError } from '../errors.js';
import { neededBytes } from '../checks/extract.js';
import { formatBytes } from '../../output/format.js';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { CheckEvent, CheckResult, DrillReport, Finding, Status } from '../events/types.js';
import { SUPERUSER } from './postgres.js';
import { startPostgres } from './postgres-target.js';
import { MARIADB_SYSTEM_SCHEMAS, startMariaDb } from './mariadb.js';
import { startSqlite } from './sqlite-drill.js';
import { isBaseBackupTar, startBaseBackup } from './base-backup.js';
import { throwIfDumpTooNew, throwIfHostLacks } from './environment.js';
import { isTrue, type DrillTarget, type Engine, type TargetOptions } from './target.js';
import { checkMinRows, probeFinding, type Expectations, type ProbeResult } from './expectations.js';
import type { RunAs } from './run-as.js';
import { compareRows, compareWithLastDrill } from './compare-rows.js';
import type { DrillRecord } from '../schedule/ledger.js';
import { StatementFilter } from './statement-filter.js';

export interface DrillOptions {
  runAs: RunAs;
  signal?: AbortSignal;
  tempDir?: string;
  /** the last drill of this dump's series (the ledger's): each table is held to it */
  previous?: DrillRecord;
  /** how far a table's rows may fall since the last drill, as a fraction (default 0.5) */
  maxDrop?: number;
  /** rows per table and SQL probes the restore must satisfy (--expect) */
  expect?: Expectations;
}

const ENGINE_NAMES: Record<Engine, string> = { postgresql: 'a PostgreSQL server', mariadb: 'a MariaDB server', sqlite: 'a new SQLite database' };

function engineOf(tool: string): Engine {
  return tool === 'mysqldump' ? 'mariadb' : tool.startsWith('sqlite3') ? 'sqlite' : 'postgresql';
}

function startTarget(tool: string, file: string, opts: TargetOptions): Promise<DrillTarget> {
  const engine = engineOf(tool);
  if (tool === 'pg_basebackup') return startBaseBackup(file, opts);
  return engine === 'mariadb' ? startMariaDb(opts) : engine === 'sqlite' ? startSqlite(opts, tool === 'sqlite3 database' ? 'database' : 'dump') : startPostgres(tool, opts, file);
}

/**
 * Room a restore takes beside its dump: the data, its indexes and the
 * write-ahead log come to a few times the SQL (a guess on the safe side,
 * plus what initdb writes).
 */
const ROOM_PER_DUMP_BYTE = 3;
const ROOM_FOR_SERVER = 256 * 1024 * 1024;

/**
 * A restore drill: the dump restored into a server started for it alone
 * (PostgreSQL for pg_dump, pg_dumpall and custom-format dumps, SQLite for
 * `sqlite3 .dump`), every table's rows counted and compared with what the
 * dump itself holds, the restore timed; the server and its folder removed
 * whatever happened. Exit 1 when the dump does not restore or rows are
 * missing; 2 when it could not be tried (no server programs, not a dump).
 */
export async function* drill(file: string, opts: DrillOptions): AsyncGenerator<CheckEvent, CheckResult> {
  const started = performance.now();
  const findings: Finding[] = [];
  const step = stepsFor(file);
  const timings: DrillReport['steps'] = [];
  const timed = async <T>(id: string, title: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await work();
    timings.push({ id, title, seconds: (performance.now() - t0) / 1000 });
    return out;
  };
  yield { type: 'start', file, checks: ['drill'] };
  const archive = await openArchive(file, opts.signal);
  const { handle, compression, container } = archive;
  let target: DrillTarget | undefined;
  try {
    // Room first: a drill that fills the disk would hurt the host it runs on.
    const dumpSize = (await neededBytes(handle, archive.before.size, compression)) ?? archive.before.size;
    const need = dumpSize * ROOM_PER_DUMP_BYTE + ROOM_FOR_SERVER;
    const parent = opts.tempDir ?? tmpdir();
    const fs = await statfs(parent);
    const free = fs.bavail * fs.bsize;
    if (free < need) throw new RestorableError(`${parent}: ${formatBytes(free)} free, a drill of this dump needs about ${formatBytes(need)}; choose another place with --temp-dir`);

    // What the dump is: the first bytes, decompressed, name its tool.
    const dec = container === 'sql' || container === 'tar' || container === 'sqlite' ? await decompress(readBackup(handle), compression, file) : undefined;
    const stream = dec ? (dec.output as AsyncIterable<Buffer>)[Symbol.asyncIterator]() : undefined;
    const first = stream ? await stream.next() : undefined;
    const head = first && !first.done ? first.value : Buffer.alloc(0);
    const tool = container === 'pg-custom' ? 'pg_dump custom' : container === 'sqlite' ? 'sqlite3 database' : container === 'tar' ? (isBaseBackupTar(head) ? 'pg_basebackup' : undefined) : dumpToolOf(head.toString('latin1', 0, 512));
    if (tool === undefined) throw new RestorableError(`${file}: not a dump restorable can drill (pg_dump plain or custom, pg_dumpall, mysqldump, sqlite3 .dump or database, a pg_basebackup tar)`);

    // The plain dump passes through the scanner on its way to the server: the dump's own rows per table.
    const scanner = new SqlScanner();
    let dumpBytes = 0;
    // A pg_dump's owners and grants name roles this server does not have: left out, as pg_restore --no-owner --no-privileges
    // does. A pg_dumpall of a cluster whose superuser has the drill server's superuser's name would make it twice.
    const owners = tool === 'pg_dump' ? StatementFilter.noOwners() : tool === 'pg_dumpall' ? StatementFilter.notRole(SUPERUSER) : undefined;
    const plain = stream && container === 'sql'
      ? (async function* () {
          const pass = (chunk: Buffer) => {
            scanner.push(chunk);
            dumpBytes += chunk.length;
            return owners ? owners.push(chunk) : chunk;
          };
          if (head.length) yield pass(head);
          for (let next = await stream.next(); !next.done; next = await stream.next()) yield pass(next.value);
          if (owners) yield owners.finish();
        })()
      : undefined;

    // The server (or SQLite file) made for this dump alone.
    const starting = tool === 'pg_basebackup' ? 'make a 0700 folder for the drill' : `start ${ENGINE_NAMES[engineOf(tool)]} for this drill (Unix socket only)`;
    yield step('server', starting, 'running');
    target = await timed('server', 'start the server', () => startTarget(tool, file, opts));
    yield step('server', starting, 'ok', target.version);
    // A plain dump's header: which program and version wrote it.
    const header = plain ? head.toString('latin1', 0, 4096) : '';
    if (target.engine === 'postgresql' && plain) throwIfDumpTooNew(file, header, target.version);

    yield step('restore', `restore (${target.restoreHow})`, 'running');
    const restoring = target;
    // execa takes a generator as stdin, not a stream without a descriptor (an object in a bucket has none).
    const input = container === 'pg-custom' ? (async function* () { yield* readBackup(handle); })() : container === 'tar' || container === 'sqlite' ? withHead(head, stream!) : plain!;
    let restoreError: string | undefined;
    if (restoring.restoreSteps) {
      // A restore of several steps (a base backup): each shown as it runs, timed as one restore.
      const t0 = performance.now();
      const steps = restoring.restoreSteps(input, opts.signal);
      for (let next = await steps.next(); ; next = await steps.next()) {
        if (next.done) {
          restoreError = next.value;
          break;
        }
        yield step(next.value.id, next.value.title, next.value.state, next.value.detail);
      }
      timings.push({ id: 'restore', title: 'restore', seconds: (performance.now() - t0) / 1000 });
    } else {
      restoreError = await timed('restore', 'restore', () => restoring.restore(input, opts.signal));
    }
    // Interrupted, or past --max-duration: no verdict from a restore that was stopped.
    opts.signal?.throwIfAborted();
    // A server here without what the dump needs cannot judge it.
    throwIfHostLacks(file, restoreError);
    const restoreSeconds = timings.at(-1)!.seconds;
    yield step('restore', `restore (${target.restoreHow})`, restoreError ? 'failed' : 'ok', restoreError ?? `${restoreSeconds.toFixed(2)} s`);

    yield step('count', 'count the rows of every table', 'running');
    // After a failed restore, what can still be counted is reported; a database too damaged to count has the restore's verdict already.
    const restored = await timed('count', 'count rows', () => (restoreError ? restoring.countRows(opts.signal).catch(() => new Map<string, number>()) : restoring.countRows(opts.signal)));
    yield step('count', 'count the rows of every table', 'ok', `${restored.size} tables`);

    const probes: ProbeResult[] = [];
    if (opts.expect?.probes.length && !restoreError) {
      yield step('probes', `ask the ${opts.expect.probes.length} probes of ${opts.expect.source}`, 'running');
      await timed('probes', 'probes', async () => {
        for (const p of opts.expect!.probes) {
          try {
            const value = await restoring.value(p.sql, p.database, opts.signal);
            probes.push({ name: p.name, passed: isTrue(value), ...(value === undefined ? {} : { value }) });
          } catch (err) {
            opts.signal?.throwIfAborted();
            probes.push({ name: p.name, passed: false, error: (err as Error).message });
          }
        }
      });
      const failed = probes.filter((p) => !p.passed).length;
      yield step('probes', `ask the ${probes.length} probes of ${opts.expect.source}`, failed ? 'failed' : 'ok', failed ? `${failed} failed` : 'all true');
    }

    // A base backup's server must also stop cleanly: a checkpoint it cannot write is damage too.
    if (restoring.finish) {
      yield step('shutdown', 'shut the server down cleanly', 'running');
      const unclean = await restoring.finish();
      if (unclean) findings.push({ severity: 'error', message: unclean });
      yield step('shutdown', 'shut the server down cleanly', unclean ? 'failed' : 'ok', unclean);
    }
    const scan: SqlScanReport | undefined = plain ? scanner.finish() : undefined;
    if (restoreError) findings.push({ severity: 'error', message: `the ${tool === 'pg_basebackup' ? 'backup' : 'dump'} did not restore: ${restoreError}` });
    if (scan) findings.push(...scan.findings);
    // A --all-databases dump rewrites the server's own schema; its rows are the server's, not the backup's data.
    const ownTables = scan && target.engine === 'mariadb' ? { ...scan, tables: scan.tables.filter((t) => !(t.table.includes('.') && MARIADB_SYSTEM_SCHEMAS.includes(t.table.split('.')[0]!))) } : scan;
    const tables = compareRows(restored, ownTables, findings);
    if (opts.previous) {
      for (const t of tables) if (opts.previous.tables[t.table] !== undefined) t.lastDrill = opts.previous.tables[t.table];
      if (!restoreError) findings.push(...compareWithLastDrill(tables, opts.previous, opts.maxDrop ?? 0.5));
    }
    if (opts.expect) findings.push(...checkMinRows(tables, opts.expect));
    for (const p of probes) {
      const f = probeFinding(p);
      if (f) findings.push(f);
    }
    const rows = tables.reduce((n, t) => n + t.rows, 0);
    const report: DrillReport = {
      engine: target.engine,
      server: target.version,
      tool,
      method: target.restoreHow,
      dumpedBy: dumpedBy(header),
      restoreSeconds,
      bytesPerSec: restoreSeconds > 0 ? (dumpBytes || archive.before.size) / restoreSeconds : 0,
      steps: timings,
      tables,
      rows,
      ...(probes.length ? { probes } : {}),
      ...(opts.previous ? { lastDrill: { file: opts.previous.file, at: opts.previous.at } } : {}),
    };
    const status: Status = findings.some((f) => f.severity === 'error') ? 'drill_failed' : 'verified';
    const result: CheckResult = { file, status, size: archive.before.size, findings, manifests: [], checks: ['drill'], checkedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - started), drill: report };
    yield step('stop', 'stop the server and remove its folder', 'running');
    await target.stop();
    target = undefined;
    yield step('stop', 'stop the server and remove its folder', 'ok');
    yield { type: 'result', result };
    return result;
  } finally {
    // Interrupted or failed too: the server is stopped and its folder removed before we go.
    await target?.stop().catch(() => {});
    await handle.close();
  }
}

/** The first chunk, read to tell what the backup is, then the rest of the stream. */
async function* withHead(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length) yield head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
