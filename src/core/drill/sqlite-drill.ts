import { execa } from 'execa';
import { join } from 'node:path';
import { RestorableError } from '../errors.js';
import { makeDrillDir } from './scratch.js';
import { asUser, type RunAs } from './run-as.js';

/**
 * A `sqlite3 .dump` restored into a new database in a fresh 0700 folder, by
 * sqlite3 itself with `-bail` (the first error stops it), as the drill's
 * user; then every table's rows counted. The folder is removed whatever
 * happened.
 */
export async function drillSqlite(input: AsyncIterable<Uint8Array>, runAs: RunAs, opts: { signal?: AbortSignal; tempDir?: string } = {}): Promise<{ server: string; restoreSeconds: number; tables: Map<string, number> }> {
  const dir = await makeDrillDir(runAs, opts.tempDir);
  try {
    const as = { ...asUser(runAs, dir.path, opts.signal), reject: false } as const;
    const db = join(dir.path, 'drill.db');
    const version = await execa('sqlite3', ['--version'], { reject: false }).catch(() => undefined);
    if (!version || version.exitCode !== 0) throw new RestorableError('sqlite3 is not installed, so the dump cannot be restored to check it (Debian: apt-get install sqlite3)');
    const started = performance.now();
    // -init /dev/null: no ~/.sqliterc; -bail: stop at the first error, with a non-zero exit.
    const restore = await execa('sqlite3', ['-bail', '-init', '/dev/null', db], { ...as, stdin: input });
    const restoreSeconds = (performance.now() - started) / 1000;
    if (restore.exitCode !== 0) throw new DrillRestoreError(`sqlite3 stopped: ${String(restore.stderr || restore.message).trim().split('\n').slice(-2).join(' / ')}`);
    const names = await execa('sqlite3', ['-init', '/dev/null', '-readonly', db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"], as);
    const tables = new Map<string, number>();
    for (const name of String(names.stdout).split('\n').filter(Boolean)) {
      const n = await execa('sqlite3', ['-init', '/dev/null', '-readonly', db, `SELECT count(*) FROM "${name.replace(/"/g, '""')}"`], as);
      tables.set(name, Number(String(n.stdout).trim()));
    }
    return { server: `SQLite ${String(version.stdout).split(' ')[0]}`, restoreSeconds, tables };
  } finally {
    await dir.remove();
  }
}

/** The dump did not restore: a verdict on the backup (exit 1), not a failure to check it. */
export class DrillRestoreError extends Error {}
