import { execa } from 'execa';
import { chown } from 'node:fs/promises';
import { join } from 'node:path';
import { RestorableError, EXIT } from '../errors.js';

/** Whom a drill's server runs as: the invoking user, or `--run-as USER` when that is root. */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Database servers refuse to run as root, and a drill must not give a dump
 * root's rights: as root, a drill needs `--run-as USER`; otherwise it runs
 * as the invoking user (and `--run-as` another user is refused: only root
 * can switch).
 */
export async function resolveRunAs(user: string | undefined): Promise<RunAs> {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) {
    const me = (await execa('id', ['-un'], { reject: false })).stdout.trim() || String(uid);
    if (user && user !== me) throw new RestorableError(`--run-as ${user}: only root can run a drill as another user (this is ${me})`, EXIT.cannotCheck);
    return { name: me, uid, gid: process.getgid?.() ?? uid };
  }
  if (!user) throw new RestorableError('a restore drill does not run database servers as root: pass --run-as USER (an unprivileged user, e.g. nobody or postgres)', EXIT.cannotCheck);
  const [u, g] = await Promise.all([execa('id', ['-u', user], { reject: false }), execa('id', ['-g', user], { reject: false })]);
  if (u.exitCode !== 0) throw new RestorableError(`--run-as ${user}: no such user`, EXIT.cannotCheck);
  const runAs = { name: user, uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  if (runAs.uid === 0) throw new RestorableError(`--run-as ${user}: that is root; name an unprivileged user`, EXIT.cannotCheck);
  return runAs;
}

/** Gives a file or folder the drill made to the drill's user (only root can, and only root needs to). */
export async function handOver(runAs: RunAs, path: string): Promise<void> {
  if (process.getuid?.() === 0) await chown(path, runAs.uid, runAs.gid);
}

/**
 * The only environment the server and its clients see: nothing of the
 * caller's PG* variables, password file, service file or .psqlrc (a drill
 * talks to its own server only, and a dump must not reach anything else).
 */
export function cleanEnv(home: string): Record<string, string> {
  // Files that do not exist (a /dev/null password file draws a warning): nothing is read from them.
  const none = join(home, 'none');
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC', PGPASSFILE: none, PGSERVICEFILE: none, PGSYSCONFDIR: none, PSQLRC: none };
}

/**
 * How every program of a drill runs (servers, psql, pg_restore, sqlite3): as
 * the drill's user (when we are root and can switch), in its folder, with
 * the clean environment.
 */
export function asUser(runAs: RunAs, home: string, signal?: AbortSignal) {
  const root = process.getuid?.() === 0;
  return { cwd: home, env: cleanEnv(home), extendEnv: false, ...(root ? { uid: runAs.uid, gid: runAs.gid } : {}), ...(signal ? { cancelSignal: signal } : {}) } as const;
}
