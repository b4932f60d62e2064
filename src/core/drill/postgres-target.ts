import { execa } from 'execa';
import { availableParallelism } from 'node:os';
import { countPostgresRows, postgresDatabases } from './count-rows.js';
import { asUser } from './run-as.js';
import { PostgresServer } from './postgres.js';
import { lastLines } from './server-process.js';
import type { DrillTarget, TargetOptions } from './target.js';

/** The database a pg_dump is restored into (a pg_dumpall makes its own). */
const DRILL_DB = 'drill';

/**
 * A PostgreSQL server made for one dump: a pg_dump (plain or custom) is
 * restored into a new database (owners and grants left out: the roles are
 * not there), a pg_dumpall into the server itself, with every database it
 * makes counted as `database.schema.table`.
 */
export async function startPostgres(tool: string, opts: TargetOptions, file?: string): Promise<DrillTarget> {
  const server = await PostgresServer.start(opts.runAs, opts);
  const all = tool === 'pg_dumpall';
  const custom = tool === 'pg_dump custom';
  try {
    if (!all) await server.query('postgres', `CREATE DATABASE ${DRILL_DB}`, opts.signal);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const program = custom ? 'pg_restore' : 'psql';
  // pg_restore restores tables and builds indexes side by side (-j) only from a file it can open itself:
  // a dump the drill's user may read; else one job, from our stream.
  const jobs = custom && file && (await readableBy(opts, server, file)) ? Math.min(4, availableParallelism()) : 1;
  return {
    engine: 'postgresql',
    version: server.version,
    restoreHow: custom ? `pg_restore --exit-on-error${jobs > 1 ? ` -j ${jobs}` : ''}` : 'psql -v ON_ERROR_STOP=1',
    async restore(input, signal) {
      const args = custom ? ['--exit-on-error', '--no-owner', '--no-privileges', '-d', DRILL_DB, ...(jobs > 1 ? ['-j', String(jobs), file!] : [])] : ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', all ? 'postgres' : DRILL_DB, '-f', '-'];
      const r = await server.client(program, args, { input: jobs > 1 ? undefined : input, signal });
      return r.exitCode === 0 ? undefined : `${program} stopped: ${lastLines(String(r.stderr ?? r.message), 2) || server.logTail()}`;
    },
    async countRows(signal) {
      const out = new Map<string, number>();
      for (const db of all ? await postgresDatabases(server, signal) : [DRILL_DB]) {
        for (const [table, rows] of await countPostgresRows(server, db, signal)) out.set(all ? `${db}.${table}` : table, rows);
      }
      return out;
    },
    async value(sql, database, signal) {
      return (await server.query(database ?? (all ? 'postgres' : DRILL_DB), sql, signal))[0]?.[0];
    },
    stop: () => server.stop(),
  };
}

/** Whether the drill's user can open the file by name (a local file with the right permissions). */
async function readableBy(opts: TargetOptions, server: PostgresServer, file: string): Promise<boolean> {
  const r = await execa('test', ['-r', file], { ...asUser(opts.runAs, server.dir.path, opts.signal), reject: false }).catch(() => undefined);
  return r?.exitCode === 0;
}
