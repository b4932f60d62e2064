import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decompress } from '../archive/decompress.js';
import { openArchive } from '../archive/open-archive.js';
import { readBackup } from '../archive/read-stream.js';
import { RestorableError } from '../errors.js';
import { countPostgresRows, postgresDatabases } from './count-rows.js';
import { findPostgres, PostgresServer, SUPERUSER } from './postgres.js';
import { asUser, handOver } from './run-as.js';
import { makeDrillDir } from './scratch.js';
import { lastLines, type ServerProcess } from './server-process.js';
import type { DrillTarget, RestoreStep, TargetOptions } from './target.js';

/** Whether a tar's first member is a base backup's label: pg_basebackup writes backup_label first. */
export const isBaseBackupTar = (firstHeader: Buffer) => firstHeader.length >= 512 && firstHeader.toString('latin1', 0, 100).replace(/\0[\s\S]*$/, '').replace(/^\.\//, '') === 'backup_label';

/**
 * A physical PostgreSQL base backup (pg_basebackup -Ft: base.tar, with
 * pg_wal.tar and backup_manifest beside it when it has them), drilled as a
 * restore would go: unpacked as the drill's user, its files checked against
 * its manifest (pg_verifybackup: every file's checksum, and the WAL the
 * backup needs), the server started on it to recover to a consistent state,
 * every table and index read by pg_amcheck --heapallindexed, every table's
 * rows counted, and a clean shutdown. The backup's own settings that reach
 * outside (archive_command, primary_conninfo, preloaded libraries, its
 * pg_hba.conf) are overridden: it only ever serves our socket.
 */
export async function startBaseBackup(file: string, opts: TargetOptions): Promise<DrillTarget> {
  const bin = await findPostgres();
  const dir = await makeDrillDir(opts.runAs, opts.tempDir);
  const data = join(dir.path, 'data');
  let server: PostgresServer | undefined;
  let process_: ServerProcess | undefined;
  const as = { ...asUser(opts.runAs, dir.path, opts.signal), reject: false } as const;
  const owned = (path: string) => handOver(opts.runAs, path);
  /** A tar stream unpacked into `into` by GNU tar, as the drill's user (it keeps members inside the folder). */
  const untar = async (input: AsyncIterable<Uint8Array>, into: string) => {
    const r = await execa('tar', ['-x', '-f', '-', '-C', into, '--no-same-owner'], { ...as, stdin: input });
    return r.exitCode === 0 ? undefined : `tar stopped: ${lastLines(String(r.stderr), 2)}`;
  };
  const beside = (name: string) => join(dirname(file), name);
  const walTar = ['pg_wal.tar', 'pg_wal.tar.gz', 'pg_wal.tar.zst', 'pg_wal.tar.lz4'].map(beside).find((p) => existsSync(p));
  const manifest = existsSync(beside('backup_manifest')) ? beside('backup_manifest') : undefined;

  return {
    engine: 'postgresql',
    // The server's own word once it runs; until then, the version of the programs found.
    get version() {
      return server?.version ?? `PostgreSQL ${basename(bin.replace(/\/bin$/, ''))}`;
    },
    restoreHow: 'pg_verifybackup, recovery, pg_amcheck',
    async restore() {
      throw new Error('a base backup is restored in steps');
    },
    async *restoreSteps(input: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncGenerator<RestoreStep, string | undefined> {
      await mkdir(data, { mode: 0o700 });
      await owned(data);
      yield { id: 'unpack', title: `unpack ${basename(file)}${walTar ? ` and ${basename(walTar)}` : ''}`, state: 'running' };
      let failed = await untar(input, data);
      if (!failed && walTar) {
        const wal = await openArchive(walTar, signal);
        try {
          const output = (await decompress(readBackup(wal.handle), wal.compression, walTar)).output as AsyncIterable<Uint8Array>;
          // execa takes a generator as stdin; a stream of ours it would read on its own, past the file's close
          failed = await untar((async function* () { yield* output; })(), join(data, 'pg_wal'));
        } finally {
          await wal.handle.close();
        }
      }
      if (!failed && !existsSync(join(data, 'PG_VERSION'))) failed = 'no PG_VERSION in it: not a whole base backup';
      yield { id: 'unpack', title: 'unpack the base backup', state: failed ? 'failed' : 'ok', detail: failed };
      if (failed) return failed;

      if (manifest) {
        yield { id: 'verifybackup', title: 'check every file (and the WAL) against backup_manifest (pg_verifybackup)', state: 'running' };
        const copy = join(dir.path, 'backup_manifest');
        await copyFile(manifest, copy);
        await owned(copy);
        const r = await execa(join(bin, 'pg_verifybackup'), ['-m', copy, ...(walTar || existsSync(join(data, 'pg_wal')) ? [] : ['-n']), data], as);
        const said = String(r.stderr || r.stdout)
          .trim()
          .split('\n')
          .filter((l) => /error|mismatch|missing|not present|checksum/i.test(l))
          .map((l) => l.replace(/^pg_verifybackup: (error: )?/, ''));
        if (r.exitCode !== 0) {
          yield { id: 'verifybackup', title: 'check every file against backup_manifest (pg_verifybackup)', state: 'failed', detail: said.slice(0, 3).join(' / ') };
          return `pg_verifybackup: ${said.slice(0, 5).join(' / ') || lastLines(String(r.stderr))}`;
        }
        yield { id: 'verifybackup', title: 'check every file against backup_manifest (pg_verifybackup)', state: 'ok' };
      } else {
        yield { id: 'verifybackup', title: 'no backup_manifest beside it: its files are not checked against one', state: 'skipped' };
      }

      // What the backup would do on start that reaches outside: a standby's connection, archiving,
      // restore_command, libraries this host may not have; and its own client authentication.
      for (const signalFile of ['standby.signal', 'recovery.signal']) await rm(join(data, signalFile), { force: true });
      const hba = join(dir.path, 'pg_hba.conf');
      await writeFile(hba, 'local all all trust\nlocal replication all trust\n');
      await writeFile(join(dir.path, 'pg_ident.conf'), '');
      for (const f of [hba, join(dir.path, 'pg_ident.conf')]) await owned(f);
      // Debian keeps postgresql.conf in /etc: a backup of such a cluster has none.
      if (!existsSync(join(data, 'postgresql.conf'))) {
        await writeFile(join(data, 'postgresql.conf'), '');
        await owned(join(data, 'postgresql.conf'));
      }
      yield { id: 'recover', title: 'start the server on the backup and recover to a consistent state', state: 'running' };
      try {
        server = await PostgresServer.launch(bin, dir, opts.runAs, (s) => (process_ = s), {
          signal,
          extra: {
            hba_file: hba,
            ident_file: join(dir.path, 'pg_ident.conf'),
            archive_mode: 'off',
            archive_command: '',
            restore_command: '',
            primary_conninfo: '',
            shared_preload_libraries: '',
            ssl: 'off',
            logging_collector: 'off',
            log_destination: 'stderr',
            data_directory: data,
          },
        });
      } catch (err) {
        signal?.throwIfAborted();
        const why = `the server did not start on the backup: ${err instanceof Error ? err.message : String(err)}`;
        yield { id: 'recover', title: 'start the server on the backup and recover to a consistent state', state: 'failed', detail: why };
        return why;
      }
      const role = await superuserOf(server, opts.runAs.name, signal);
      if (!role) throw new RestorableError(`${file}: the restored cluster has no role postgres, ${SUPERUSER} or ${opts.runAs.name} to connect as`);
      server.connectAs(role);
      yield { id: 'recover', title: 'start the server on the backup and recover to a consistent state', state: 'ok', detail: `as ${role}` };

      yield { id: 'amcheck', title: 'read every table and index (pg_amcheck --heapallindexed)', state: 'running' };
      const check = await server.client('pg_amcheck', ['--all', '--heapallindexed', '--install-missing', '--no-dependent-toast'], { signal });
      signal?.throwIfAborted();
      if (check.exitCode !== 0) {
        const said = lastLines(String(check.stdout || check.stderr), 3);
        yield { id: 'amcheck', title: 'read every table and index (pg_amcheck --heapallindexed)', state: 'failed', detail: said };
        return `pg_amcheck: ${said}`;
      }
      yield { id: 'amcheck', title: 'read every table and index (pg_amcheck --heapallindexed)', state: 'ok' };
      return undefined;
    },
    async countRows(signal) {
      const out = new Map<string, number>();
      if (!server) return out;
      for (const db of await postgresDatabases(server, signal)) {
        for (const [table, rows] of await countPostgresRows(server, db, signal)) out.set(`${db}.${table}`, rows);
      }
      return out;
    },
    async value(sql, database, signal) {
      if (!server) return undefined;
      return (await server.query(database ?? 'postgres', sql, signal))[0]?.[0];
    },
    async finish() {
      if (!server) return undefined;
      return (await server.shutDown()) ? undefined : `the server did not shut down cleanly: ${server.logTail()}`;
    },
    async stop() {
      await (process_ ? process_.stop() : dir.remove());
    },
  };
}

/** The cluster's bootstrap superuser, found by trying the names it most likely has. */
async function superuserOf(server: PostgresServer, runAsName: string, signal?: AbortSignal): Promise<string | undefined> {
  for (const name of ['postgres', SUPERUSER, runAsName]) {
    server.connectAs(name);
    try {
      const [row] = await server.query('postgres', 'SELECT rolname FROM pg_roles WHERE oid = 10', signal);
      if (row?.[0]) return row[0];
    } catch {
      signal?.throwIfAborted();
    }
  }
  return undefined;
}
