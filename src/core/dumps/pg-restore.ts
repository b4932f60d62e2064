import { readBackup } from '../archive/read-stream.js';
import { throwIfAborted } from '../errors.js';
import type { BackupHandle } from '../storage/backup-handle.js';

export interface PgRestoreRun {
  exitCode?: number;
  stdout: string;
  /** its last line of errors, when it failed */
  error?: string;
  /** pg_restore is not installed */
  missing?: boolean;
}

/**
 * Runs pg_restore over a custom-format dump fed from our descriptor (never
 * by name: the file is opened once, and it may be an object in a bucket).
 * `onOutput` takes what it writes as it comes (the dump as SQL, with `-f -`)
 * instead of keeping it.
 */
export async function runPgRestore(handle: BackupHandle, args: string[], opts: { signal?: AbortSignal; onOutput?: (chunk: Buffer) => void } = {}): Promise<PgRestoreRun> {
  const { execa } = await import('execa');
  const child = execa('pg_restore', args, { stdin: 'pipe', reject: false, cancelSignal: opts.signal, ...(opts.onOutput ? { buffer: { stdout: false } } : {}), stripFinalNewline: false });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) {
    const r = await child;
    if ((r as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(r.message ?? ''))) return { stdout: '', missing: true };
    return { stdout: '', error: String(r.message ?? 'could not run') };
  }
  if (opts.onOutput) child.stdout!.on('data', (chunk: Buffer) => opts.onOutput!(chunk));
  child.stdin!.on('error', () => {});
  readBackup(handle).pipe(child.stdin!);
  const r = await child;
  throwIfAborted(opts.signal);
  const stdout = opts.onOutput ? '' : String(r.stdout);
  if (r.exitCode !== 0) return { exitCode: r.exitCode, stdout, error: String(r.stderr).trim().split('\n').pop() || `exit code ${r.exitCode}` };
  return { exitCode: 0, stdout };
}
