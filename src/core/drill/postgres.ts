import { execa, type ResultPromise } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RestorableError } from '../errors.js';
import type { TempDir } from '../temp-paths.js';
import { makeDrillDir } from './scratch.js';
import { asUser, cleanEnv, handOver, type RunAs } from './run-as.js';
import { lastLines, runClient, ServerProcess, startIn, tabRows } from './server-process.js';

/** The PostgreSQL server programs: the newest version Debian installed, else pg_config's. */
export async function findPostgres(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions[0]) return join(root, versions[0], 'bin');
  const fromConfig = await execa('pg_config', ['--bindir'], { reject: false });
  const bin = fromConfig.exitCode === 0 ? fromConfig.stdout.trim() : '';
  if (bin && existsSync(join(bin, 'postgres')) && existsSync(join(bin, 'initdb'))) return bin;
  throw new RestorableError('the PostgreSQL server programs (initdb, postgres) are not installed, so the dump cannot be restored to check it (Debian: apt-get install postgresql)');
}

/** The drill server's superuser: a name no dump's CREATE ROLE is likely to use (pg_dumpall recreates its cluster's roles). */
export const SUPERUSER = 'restorable_drill';

/**
 * A PostgreSQL server started for one drill and removed afterwards: in a
 * fresh 0700 folder owned by the user it runs as, listening on a Unix
 * socket in that folder only (no TCP), with durability off (a drill's data
 * is thrown away) and bounded memory. Clients run as that user too, with
 * the clean environment: a plain dump can hold psql's `\!`, which must not
 * run with the caller's rights.
 */
export class PostgresServer {
  private constructor(
    readonly bin: string,
    private readonly process: ServerProcess,
    private readonly runAs: RunAs,
    readonly version: string,
    /** the role clients connect as */
    private user: string,
  ) {}

  get dir(): TempDir {
    return this.process.dir;
  }

  get socket(): string {
    return join(this.dir.path, 'socket');
  }

  /** A new cluster (initdb, superuser restorable_drill), started. */
  static async start(runAs: RunAs, opts: { signal?: AbortSignal; tempDir?: string } = {}): Promise<PostgresServer> {
    const bin = await findPostgres();
    return startIn(
      () => makeDrillDir(runAs, opts.tempDir),
      async (dir, started) => {
        const init = await execa(join(bin, 'initdb'), ['-D', join(dir.path, 'data'), '-U', SUPERUSER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { ...asUser(runAs, dir.path, opts.signal), reject: false });
        if (init.exitCode !== 0) throw new RestorableError(`initdb failed: ${lastLines(String(init.stderr || init.stdout))}`);
        return PostgresServer.launch(bin, dir, runAs, started, { signal: opts.signal });
      },
    );
  }

  /**
   * Starts the server on `dir`/data (a cluster made by initdb, or a base
   * backup laid out there), socket only, with the throwaway settings and
   * any `extra` ones, which win over the cluster's own configuration.
   */
  static async launch(bin: string, dir: TempDir, runAs: RunAs, started: (s: ServerProcess) => void, opts: { signal?: AbortSignal; extra?: Record<string, string>; user?: string }): Promise<PostgresServer> {
    const socket = join(dir.path, 'socket');
    await mkdir(socket, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await handOver(runAs, socket);
    const said = (await execa(join(bin, 'postgres'), ['--version'], { reject: false })).stdout.trim();
    const version = `PostgreSQL ${/\d+(\.\d+)*/.exec(said)?.[0] ?? said}`;
    const server = ServerProcess.spawn('PostgreSQL', dir, runAs, join(bin, 'postgres'), ['-D', join(dir.path, 'data'), '-k', socket, ...serverSettings(opts.extra)], 'SIGINT', opts.signal);
    started(server);
    await server.ready(async () => (await execa(join(bin, 'pg_isready'), ['-h', socket, '-q'], { reject: false, env: cleanEnv(dir.path), extendEnv: false })).exitCode === 0, opts.signal);
    return new PostgresServer(bin, server, runAs, version, opts.user ?? SUPERUSER);
  }

  /** Connects as another role from now on (a base backup's superuser is its cluster's, not ours). */
  connectAs(user: string): void {
    this.user = user;
  }

  /** Stops the server with a fast shutdown and says whether it shut down cleanly (exit 0), keeping its folder. */
  async shutDown(): Promise<boolean> {
    return this.process.shutDown();
  }

  /** Runs a client program (psql, pg_restore…) against this server, as the drill's user, in the clean environment. */
  client(program: string, args: string[], opts: { input?: AsyncIterable<Uint8Array>; signal?: AbortSignal } = {}): ResultPromise {
    return runClient(this.runAs, this.dir.path, join(this.bin, program), ['-h', this.socket, '-U', this.user, ...args], opts);
  }

  /** One query's rows, tab-separated. */
  async query(database: string, sql: string, signal?: AbortSignal): Promise<string[][]> {
    const r = await this.client('psql', ['-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', sql], { signal });
    if (r.exitCode !== 0) throw new RestorableError(`psql: ${lastLines(String(r.stderr))}`);
    return tabRows(String(r.stdout));
  }

  /** Stops the server at once (fast shutdown, then a kill) and removes its folder. */
  stop(): Promise<void> {
    return this.process.stop();
  }

  /** The server's last words, for an error message. */
  logTail(): string {
    return this.process.logTail();
  }
}

/** A throwaway server: no TCP, nothing flushed to disk, memory bounded, quiet logs. */
function serverSettings(extra: Record<string, string> = {}): string[] {
  const settings = {
    listen_addresses: '',
    port: '5432',
    unix_socket_permissions: '0700',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '128MB',
    maintenance_work_mem: '256MB',
    max_wal_size: '4GB',
    checkpoint_timeout: '30min',
    autovacuum: 'off',
    log_min_messages: 'warning',
    max_connections: '20',
  };
  return Object.entries({ ...settings, ...extra }).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
}
