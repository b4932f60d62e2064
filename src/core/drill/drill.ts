import { decompress } from '../archive/decompress.js';
import { openArchive, stepsFor } from '../archive/open-archive.js';
import { readBackup } from '../archive/read-stream.js';
import { dumpToolOf } from '../dumps/dump-tools.js';
import { SqlScanner, type SqlScanReport } from '../dumps/sql-scan.js';
import { RestorableError } from '../errors.js';
import { neededBytes } from '../checks/extract.js';
import { formatBytes } from '../../output/format.js';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { CheckEvent, CheckResult, DrillReport, Finding, Status } from '../events/types.js';
import { countPostgresRows, postgresDatabases } from './count-rows.js';
import { PostgresServer, SUPERUSER } from './postgres.js';
import type { RunAs } from './run-as.js';
import { compareRows, compareWithLastDrill } from './compare-rows.js';
import type { DrillRecord } from '../schedule/ledger.js';
import { StatementFilter } from './statement-filter.js';
import { DrillRestoreError, drillSqlite } from './sqlite-drill.js';

export interface DrillOptions {
  runAs: RunAs;
  signal?: AbortSignal;
  tempDir?: string;
  /** the last drill of this dump's series (the ledger's): each table is held to it */
  previous?: DrillRecord;
  /** how far a table's rows may fall since the last drill, as a fraction (default 0.5) */
  maxDrop?: number;
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
  let server: PostgresServer | undefined;
  try {
    // Room first: a drill that fills the disk would hurt the host it runs on.
    const dumpSize = (await neededBytes(handle, archive.before.size, compression)) ?? archive.before.size;
    const need = dumpSize * ROOM_PER_DUMP_BYTE + ROOM_FOR_SERVER;
    const parent = opts.tempDir ?? tmpdir();
    const fs = await statfs(parent);
    const free = fs.bavail * fs.bsize;
    if (free < need) throw new RestorableError(`${parent}: ${formatBytes(free)} free, a drill of this dump needs about ${formatBytes(need)}; choose another place with --temp-dir`);

    // What the dump is: the first bytes, decompressed, name its tool.
    const dec = container === 'sql' ? await decompress(readBackup(handle), compression, file) : undefined;
    const stream = dec ? (dec.output as AsyncIterable<Buffer>)[Symbol.asyncIterator]() : undefined;
    const first = stream ? await stream.next() : undefined;
    const head = first && !first.done ? first.value : Buffer.alloc(0);
    const tool = container === 'pg-custom' ? 'pg_dump custom' : dumpToolOf(head.toString('latin1', 0, 512));
    if (container !== 'pg-custom' && tool === undefined) throw new RestorableError(`${file}: not a dump restorable can drill (pg_dump plain or custom, pg_dumpall, sqlite3 .dump)`);
    if (tool === 'mysqldump') throw new RestorableError(`${file}: a mysqldump; MariaDB drills are not there yet: deep checks it without a server`);

    // The plain dump passes through the scanner on its way to the server: the dump's own rows per table.
    const scanner = new SqlScanner();
    let dumpBytes = 0;
    // A pg_dump's owners and grants name roles this server does not have: left out, as pg_restore --no-owner --no-privileges
    // does. A pg_dumpall of a cluster whose superuser has the drill server's superuser's name would make it twice.
    const owners = tool === 'pg_dump' ? StatementFilter.noOwners() : tool === 'pg_dumpall' ? StatementFilter.notRole(SUPERUSER) : undefined;
    const plain = stream
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

    let restored: Map<string, number>;
    let version: string;
    let restoreSeconds: number;
    let restoreError: string | undefined;
    if (tool === 'sqlite3 .dump') {
      yield step('restore', 'restore into a new SQLite database (sqlite3 -bail)', 'running');
      try {
        const out = await timed('restore', 'restore', () => drillSqlite(plain!, opts.runAs, opts));
        opts.signal?.throwIfAborted();
        ({ server: version, restoreSeconds, tables: restored } = out);
      } catch (err) {
        if (!(err instanceof DrillRestoreError)) throw err;
        restoreError = err.message;
        restored = new Map();
        version = 'SQLite';
        restoreSeconds = 0;
      }
      yield step('restore', 'restore into a new SQLite database (sqlite3 -bail)', restoreError ? 'failed' : 'ok', restoreError ?? `${restoreSeconds.toFixed(2)} s`);
    } else {
      yield step('server', 'start a PostgreSQL server for this drill (Unix socket only)', 'running');
      server = await timed('server', 'start the server', () => PostgresServer.start(opts.runAs, opts));
      version = server.version;
      yield step('server', 'start a PostgreSQL server for this drill (Unix socket only)', 'ok', version);
      const all = tool === 'pg_dumpall';
      if (!all) await server.query('postgres', 'CREATE DATABASE drill', opts.signal);
      const how = tool === 'pg_dump custom' ? 'pg_restore --exit-on-error' : 'psql -v ON_ERROR_STOP=1';
      yield step('restore', `restore (${how})`, 'running');
      const restoring = server;
      const r = await timed('restore', 'restore', () =>
        tool === 'pg_dump custom'
          ? restoring.client('pg_restore', ['--exit-on-error', '--no-owner', '--no-privileges', '-d', 'drill'], { input: readBackup(handle)[Symbol.asyncIterator](), signal: opts.signal })
          : restoring.client('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', all ? 'postgres' : 'drill', '-f', '-'], { input: plain, signal: opts.signal }),
      );
      // Interrupted, or past --max-duration: no verdict from a restore that was stopped.
      opts.signal?.throwIfAborted();
      restoreSeconds = timings.at(-1)!.seconds;
      if (r.exitCode !== 0) restoreError = `${tool === 'pg_dump custom' ? 'pg_restore' : 'psql'} stopped: ${String(r.stderr).trim().split('\n').slice(-2).join(' / ') || server.logTail()}`;
      yield step('restore', `restore (${how})`, restoreError ? 'failed' : 'ok', restoreError ?? `${restoreSeconds.toFixed(2)} s`);
      yield step('count', 'count the rows of every table', 'running');
      restored = new Map();
      for (const db of all ? await postgresDatabases(server, opts.signal) : ['drill']) {
        for (const [table, rows] of await countPostgresRows(server, db, opts.signal)) restored.set(all ? `${db}.${table}` : table, rows);
      }
      yield step('count', 'count the rows of every table', 'ok', `${restored.size} tables`);
    }

    const scan: SqlScanReport | undefined = plain ? scanner.finish() : undefined;
    if (restoreError) findings.push({ severity: 'error', message: `the dump did not restore: ${restoreError}` });
    if (scan) findings.push(...scan.findings);
    const tables = compareRows(restored, scan, findings);
    if (opts.previous && !restoreError) findings.push(...compareWithLastDrill(tables, opts.previous, opts.maxDrop ?? 0.5));
    const rows = tables.reduce((n, t) => n + t.rows, 0);
    const report: DrillReport = { engine: tool === 'sqlite3 .dump' ? 'sqlite' : 'postgresql', server: version, tool, restoreSeconds, bytesPerSec: restoreSeconds > 0 ? (dumpBytes || archive.before.size) / restoreSeconds : 0, steps: timings, tables, rows };
    const status: Status = findings.some((f) => f.severity === 'error') ? 'drill_failed' : 'verified';
    const result: CheckResult = { file, status, size: archive.before.size, findings, manifests: [], checks: ['drill'], checkedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - started), drill: report };
    if (server) {
      yield step('stop', 'stop the server and remove its folder', 'running');
      await server.stop();
      server = undefined;
      yield step('stop', 'stop the server and remove its folder', 'ok');
    }
    yield { type: 'result', result };
    return result;
  } finally {
    // Interrupted or failed too: the server is stopped and its folder removed before we go.
    await server?.stop().catch(() => {});
    await handle.close();
  }
}
