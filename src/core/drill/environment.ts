import { RestorableError, EXIT } from '../errors.js';

/**
 * What a restore's failure says about this host rather than the dump: an
 * extension, a library, a storage engine or a collation the server here
 * does not have. The dump may be whole; the drill could not tell (exit 2),
 * and the message names what to install.
 */
const HOST_LACKS: { pattern: RegExp; needs: (m: RegExpExecArray) => string }[] = [
  { pattern: /extension "([^"]+)" is not available|could not open extension control file "[^"]*\/([^/"]+)\.control"/i, needs: (m) => `the PostgreSQL extension ${m[1] ?? m[2]}, which this host's server does not have (install the package that provides it for this PostgreSQL)` },
  { pattern: /could not access file "\$libdir\/([^"]+)"/, needs: (m) => `the server library ${m[1]}, which this host does not have` },
  { pattern: /unsupported version \(([\d.]+)\) in file header/, needs: (m) => `a newer pg_restore: the dump's format is version ${m[1]} (install the PostgreSQL version that made it)` },
  { pattern: /Unknown storage engine '([^']+)'/, needs: (m) => `the MariaDB storage engine ${m[1]}, which this host's server does not have` },
  { pattern: /Unknown collation: '([^']+)'|Unknown character set: '([^']+)'/, needs: (m) => `the collation or character set ${m[1] ?? m[2]}, which this host's MariaDB does not know (the dump is from a newer or another server)` },
];

/** Throws "could not check" when a restore's error is the host's lack, not the dump's damage. */
export function throwIfHostLacks(file: string, restoreError: string | undefined): void {
  if (!restoreError) return;
  for (const { pattern, needs } of HOST_LACKS) {
    const m = pattern.exec(restoreError);
    if (m) throw new RestorableError(`${file}: could not be drilled here: it needs ${needs(m)}`, EXIT.cannotCheck);
  }
}

/**
 * A plain dump made by a newer pg_dump than this host's server (its
 * "Dumped by pg_dump version" line) may use what the server does not know:
 * could not check, naming the version to install, before anything runs.
 */
export function throwIfDumpTooNew(file: string, head: string, server: string): void {
  const by = /^-- Dumped by pg_dump(?:all)? version (\d+)/m.exec(head)?.[1];
  const here = /PostgreSQL (\d+)/.exec(server)?.[1];
  if (by && here && Number(by) > Number(here)) throw new RestorableError(`${file}: made by pg_dump ${by}, newer than this host's PostgreSQL ${here}: install PostgreSQL ${by} (Debian: postgresql-${by}) to drill it`, EXIT.cannotCheck);
}
