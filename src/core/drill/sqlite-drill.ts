import { execa } from 'execa';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkSqliteFile } from '../dumps/sqlite-file.js';
import { join } from 'node:path';
import { RestorableError } from '../errors.js';
import { makeDrillDir } from './scratch.js';
import { asUser, handOver } from './run-as.js';
import { lastLines, tabRows } from './server-process.js';
import type { DrillTarget, TargetOptions } from './target.js';
import { countInBatches } from './count-rows.js';

/**
 * A new SQLite database in a fresh 0700 folder, for a `sqlite3 .dump`:
 * restored by sqlite3 itself with `-bail` (the first error stops it), as the
 * drill's user, reading no ~/.sqliterc. Stopping removes the folder.
 */
export async function startSqlite(opts: TargetOptions, what: 'dump' | 'database' = 'dump'): Promise<DrillTarget> {
  const said = await execa('sqlite3', ['--version'], { reject: false }).catch(() => undefined);
  if (!said || said.exitCode !== 0) throw new RestorableError('sqlite3 is not installed, so the dump cannot be restored to check it (Debian: apt-get install sqlite3)');
  const dir = await makeDrillDir(opts.runAs, opts.tempDir);
  const db = join(dir.path, 'drill.db');
  const sqlite = (args: string[], input?: AsyncIterable<Uint8Array>, signal?: AbortSignal) =>
    execa('sqlite3', ['-init', '/dev/null', ...args], { ...asUser(opts.runAs, dir.path, signal), reject: false, ...(input ? { stdin: input } : { stdin: 'ignore' as const }) });
  const query = async (sql: string, signal?: AbortSignal) => {
    const r = await sqlite(['-readonly', '-batch', '-tabs', db, sql], undefined, signal);
    if (r.exitCode !== 0) throw new RestorableError(`sqlite3: ${lastLines(String(r.stderr))}`);
    return tabRows(String(r.stdout));
  };
  return {
    engine: 'sqlite',
    version: `SQLite ${String(said.stdout).split(' ')[0]}`,
    restoreHow: what === 'dump' ? 'sqlite3 -bail' : 'a copy, read whole by PRAGMA integrity_check',
    async restore(input, signal) {
      if (what === 'database') {
        // The database itself (decompressed on the way, when it was), then every page of it read by sqlite3.
        await pipeline(Readable.from(input), createWriteStream(db, { mode: 0o600 }), { signal });
        await handOver(opts.runAs, db);
        const checked = await checkSqliteFile(db, { signal, as: asUser(opts.runAs, dir.path, signal), count: false });
        return checked.findings.length ? checked.findings.map((f) => f.message).slice(0, 3).join(' / ') : undefined;
      }
      const r = await sqlite(['-bail', db], input, signal);
      return r.exitCode === 0 ? undefined : `sqlite3 stopped: ${lastLines(String(r.stderr || r.message), 2)}`;
    },
    async countRows(signal) {
      const names = (await query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1", signal)).map((r) => r[0]!);
      return countInBatches(names, (n) => `SELECT '${n.replace(/'/g, "''")}', count(*) FROM "${n.replace(/"/g, '""')}"`, (sql) => query(sql, signal));
    },
    async value(sql, _database, signal) {
      return (await query(sql, signal))[0]?.[0];
    },
    stop: () => dir.remove(),
  };
}
