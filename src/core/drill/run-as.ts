import { execa } from 'execa';
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
