import { execa, type ResultPromise } from 'execa';
import { RestorableError } from '../errors.js';
import type { TempDir } from '../temp-paths.js';
import { asUser, type RunAs } from './run-as.js';

/** What a server's log says last: the reason it stopped or refused. */
export const lastLines = (text: string, n = 3) => text.trim().split('\n').slice(-n).join(' / ');

/**
 * A database server process started for one drill (PostgreSQL's postgres,
 * MariaDB's mariadbd), in its drill folder, as the drill's user: it keeps
 * the server's last words for error messages, waits until it answers, and
 * stops it at once and removes its folder, whatever happened. One place for
 * what every engine's server needs, so that none of them forgets a step.
 */
export class ServerProcess {
  private log = '';

  private constructor(
    readonly name: string,
    readonly dir: TempDir,
    private readonly proc: ResultPromise,
    /** the signal that makes this server shut down at once without losing its folder's sanity (SIGINT for PostgreSQL, SIGTERM for MariaDB) */
    private readonly stopSignal: NodeJS.Signals,
  ) {
    proc.stderr?.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-8192)));
  }

  static spawn(name: string, dir: TempDir, runAs: RunAs, program: string, args: string[], stopSignal: NodeJS.Signals, signal?: AbortSignal): ServerProcess {
    const proc = execa(program, args, { ...asUser(runAs, dir.path, signal), reject: false, buffer: false, stdin: 'ignore', stdout: 'ignore' });
    return new ServerProcess(name, dir, proc, stopSignal);
  }

  /** Polls `answers` until the server takes connections; a server that exits or stays silent for a minute is an error with its last words. */
  async ready(answers: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
    const until = Date.now() + 60_000;
    for (;;) {
      signal?.throwIfAborted();
      if (this.proc.exitCode !== null) throw new RestorableError(`the ${this.name} server did not start: ${this.logTail()}`);
      if (await answers()) return;
      if (Date.now() > until) throw new RestorableError(`the ${this.name} server did not accept connections within a minute: ${this.logTail()}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** Asks the server to shut down (its fast shutdown) and waits: true when it exited cleanly (code 0). The folder stays. */
  async shutDown(): Promise<boolean> {
    if (this.proc.exitCode !== null) return this.proc.exitCode === 0;
    this.proc.kill(this.stopSignal);
    const r = await this.proc.catch((err: { exitCode?: number }) => err);
    return (r as { exitCode?: number }).exitCode === 0;
  }

  /** Stops the server at once (its fast shutdown, then a kill after 10 s) and removes its folder. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.pid) {
      this.proc.kill(this.stopSignal);
      const stopped = await Promise.race([this.proc.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
      if (!stopped) this.proc.kill('SIGKILL');
      await this.proc.catch(() => {});
    }
    await this.dir.remove();
  }

  logTail(): string {
    return lastLines(this.log);
  }
}

/** Runs `work` on a fresh drill folder; when it fails (or is stopped), `cleanup` (which stops any server started in it) runs before the error goes on. */
export async function startIn<T>(makeDir: () => Promise<TempDir>, work: (dir: TempDir, started: (s: ServerProcess) => void) => Promise<T>): Promise<T> {
  const dir = await makeDir();
  let server: ServerProcess | undefined;
  try {
    return await work(dir, (s) => (server = s));
  } catch (err) {
    // Stopped while it started (Ctrl-C, --max-duration): the server is stopped before its folder goes,
    // or the folder cannot be removed while it writes there.
    await (server ? server.stop() : dir.remove()).catch(() => {});
    throw err;
  }
}

/** A client program (psql, pg_restore, mariadb…) run against a drill's server: as the drill's user, in its folder, in the clean environment. */
export function runClient(runAs: RunAs, home: string, program: string, args: string[], opts: { input?: AsyncIterable<Uint8Array>; signal?: AbortSignal } = {}): ResultPromise {
  return execa(program, args, {
    ...asUser(runAs, home, opts.signal),
    reject: false,
    ...(opts.input ? { stdin: opts.input } : { stdin: 'ignore' }),
    maxBuffer: 256 * 1024 * 1024,
  }) as unknown as ResultPromise;
}

/** Tab-separated rows, as psql -A -t -F '\t' and mariadb -N -B print them. */
export const tabRows = (stdout: string): string[][] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
