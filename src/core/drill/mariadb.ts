import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RestorableError } from '../errors.js';
import type { TempDir } from '../temp-paths.js';
import { makeDrillDir } from './scratch.js';
import { asUser, handOver } from './run-as.js';
import { lastLines, runClient, ServerProcess, startIn, tabRows } from './server-process.js';
import type { DrillTarget, TargetOptions } from './target.js';
import { countInBatches } from './count-rows.js';

/** The database a single-database mysqldump (no CREATE DATABASE of its own) is restored into; its tables keep their bare names. */
const DRILL_DB = 'drill';
/** Schemas of the server itself: a --all-databases dump rewrites `mysql`, but its rows are the server's, not data. */
export const MARIADB_SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** A program of MariaDB (or MySQL, by its older name), wherever Debian put it. */
function findProgram(names: string[]): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    for (const name of names) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function programs() {
  const server = findProgram(['mariadbd', 'mysqld']);
  const installDb = findProgram(['mariadb-install-db', 'mysql_install_db']);
  const client = findProgram(['mariadb', 'mysql']);
  const admin = findProgram(['mariadb-admin', 'mysqladmin']);
  const dump = findProgram(['mariadb-dump', 'mysqldump']);
  if (!server || !installDb || !client || !admin || !dump) throw new RestorableError('the MariaDB server programs (mariadbd, mariadb-install-db, mariadb) are not installed, so the dump cannot be restored to check it (Debian: apt-get install mariadb-server)');
  return { server, installDb, client, admin, dump };
}

/**
 * A MariaDB server started for one drill: in a fresh 0700 folder owned by
 * the drill's user, with no option file read (`--no-defaults`), TCP off
 * (`--skip-networking`), its socket in that folder, files readable or
 * writable by SQL kept to an empty folder (`--secure-file-priv`), durability
 * off. Its root has no password and is reachable only through that socket.
 */
export class MariaDbServer {
  private constructor(
    /** the programs, found once when the server starts (not once per query) */
    private readonly bin: ReturnType<typeof programs>,
    private readonly process: ServerProcess,
    private readonly opts: TargetOptions,
    private readonly socket: string,
    readonly version: string,
  ) {}

  get dir(): TempDir {
    return this.process.dir;
  }

  static async start(opts: TargetOptions): Promise<MariaDbServer> {
    const bin = programs();
    return startIn(
      () => makeDrillDir(opts.runAs, opts.tempDir),
      async (dir, started) => {
        const at = (name: string) => join(dir.path, name);
        for (const sub of ['socket', 'tmp', 'files']) {
          await mkdir(at(sub), { mode: 0o700 });
          await handOver(opts.runAs, at(sub));
        }
        const as = { ...asUser(opts.runAs, dir.path, opts.signal), reject: false } as const;
        const init = await execa(bin.installDb, ['--no-defaults', `--datadir=${at('data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', `--tmpdir=${at('tmp')}`], as);
        if (init.exitCode !== 0) throw new RestorableError(`mariadb-install-db failed: ${lastLines(String(init.stderr || init.stdout))}`);
        const said = (await execa(bin.server, ['--version'], { reject: false })).stdout;
        const version = `MariaDB ${/Ver\s+(\d+(\.\d+)*)/.exec(said)?.[1] ?? said.trim()}`;
        const socket = at('socket/mysqld.sock');
        const server = ServerProcess.spawn('MariaDB', dir, opts.runAs, bin.server, [
          '--no-defaults',
          `--datadir=${at('data')}`,
          `--socket=${socket}`,
          '--skip-networking',
          `--pid-file=${at('server.pid')}`,
          `--tmpdir=${at('tmp')}`,
          `--secure-file-priv=${at('files')}`,
          '--local-infile=0',
          '--skip-log-bin',
          '--skip-name-resolve',
          '--innodb-flush-log-at-trx-commit=0',
          '--innodb-doublewrite=0',
          '--innodb-buffer-pool-size=128M',
          '--max-connections=20',
          '--max-allowed-packet=1G',
        ], 'SIGTERM', opts.signal);
        started(server);
        await server.ready(async () => (await execa(bin.admin, ['--no-defaults', `--socket=${socket}`, '--user=root', 'ping'], as)).exitCode === 0, opts.signal);
        return new MariaDbServer(bin, server, opts, socket, version);
      },
    );
  }

  /** Runs a client program (mariadb, mariadb-dump) against this server, as the drill's user, reading no option file. */
  client(program: 'mariadb' | 'mariadb-dump', args: string[], opts: { input?: AsyncIterable<Uint8Array>; signal?: AbortSignal } = {}): ResultPromise {
    return runClient(this.opts.runAs, this.dir.path, program === 'mariadb' ? this.bin.client : this.bin.dump, ['--no-defaults', `--socket=${this.socket}`, '--user=root', ...args], opts);
  }

  /** One query's rows, tab-separated. */
  async query(sql: string, database?: string, signal?: AbortSignal): Promise<string[][]> {
    const r = await this.client('mariadb', ['--batch', '--skip-column-names', '--raw', ...(database ? [`--database=${database}`] : []), '--execute', sql], { signal });
    if (r.exitCode !== 0) throw new RestorableError(`mariadb: ${errorLine(String(r.stderr))}`);
    return tabRows(String(r.stdout));
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  logTail(): string {
    return this.process.logTail();
  }
}

/**
 * A MariaDB server made for one mysqldump: restored by the client without
 * `--force` (the first error stops it) and with `--sandbox` (a dump's `\!`
 * or `source` cannot reach the file system), into a database of its own
 * unless the dump makes its own (`--databases`, `--all-databases`).
 */
export async function startMariaDb(opts: TargetOptions): Promise<DrillTarget> {
  const server = await MariaDbServer.start(opts);
  try {
    await server.query(`CREATE DATABASE ${DRILL_DB}`, undefined, opts.signal);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    engine: 'mariadb',
    version: server.version,
    restoreHow: 'mariadb --sandbox, stops at the first error',
    async restore(input, signal) {
      const r = await server.client('mariadb', ['--sandbox', '--max-allowed-packet=1G', `--database=${DRILL_DB}`], { input, signal });
      return r.exitCode === 0 ? undefined : `mariadb stopped: ${errorLine(String(r.stderr)) || server.logTail()}`;
    },
    async countRows(signal) {
      const skip = MARIADB_SYSTEM_SCHEMAS.map((s) => `'${s}'`).join(', ');
      const tables = await server.query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN (${skip}) ORDER BY 1, 2`, undefined, signal);
      return countInBatches(tables, ([schema, table]) => `SELECT ${literal(schema === DRILL_DB ? table! : `${schema}.${table}`)}, COUNT(*) FROM ${ident(schema!)}.${ident(table!)}`, (sql) => server.query(sql, undefined, signal));
    },
    async value(sql, database, signal) {
      return (await server.query(sql, database ?? DRILL_DB, signal))[0]?.[0];
    },
    stop: () => server.stop(),
  };
}

const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** The client's ERROR line (it echoes the statement around it in batch mode), else its last words. */
const errorLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('ERROR')) ?? lastLines(stderr, 2);
