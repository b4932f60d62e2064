/**
 * Errors the engine raises on purpose. Each carries a message that names the
 * file and the problem, so the CLI can print it as-is without a stack trace.
 */

/** Exit codes shared by every command (DESIGN section 7). */
export const EXIT = {
  ok: 0,
  integrity: 1,
  cannotCheck: 2,
  interrupted: 130,
} as const;

export class RestorableError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.cannotCheck,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A manifest that cannot be trusted as written: names the file and the field. */
export class ManifestError extends RestorableError {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${problem}`);
  }
}

/** The user asked for something we cannot do (bad option, unreadable path). */
export class UsageError extends RestorableError {}

/** A key file that cannot be used (unreadable, malformed, encrypted, the wrong half of a pair). */
export class KeyError extends UsageError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

export class AbortError extends RestorableError {
  constructor(message = 'interrupted') {
    super(message, EXIT.interrupted);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

/**
 * Whether `err` means "interrupted": ours, the platform's (a DOMException or
 * any error named AbortError, from fs, fetch, streams or child processes),
 * or anything thrown once `signal` had aborted (a stream torn down by the
 * abort fails with its own message). One test, so that every layer turns an
 * interruption into exit 130 and never into a verdict or a crash report.
 */
export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  if (err instanceof AbortError || signal?.aborted) return true;
  const e = err as { name?: unknown; code?: unknown } | undefined;
  return e?.name === 'AbortError' || e?.code === 'ABORT_ERR';
}

/** Runs `fn` once when `signal` aborts. Returns the remover: call it on every path (finally). */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

const FS_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'input/output error (the device reported a read failure)',
  EMFILE: 'too many open files',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
};

/** "path: permission denied" from a Node fs error, without the syscall noise. */
export function describeFsError(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const problem = (code && FS_PROBLEMS[code]) ?? (err instanceof Error ? err.message : String(err));
  return `${path}: ${problem}`;
}

export function isFsError(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

/** Wraps an fs failure in a RestorableError that names the path. */
export function fsError(err: unknown, path: string): RestorableError {
  if (err instanceof RestorableError) return err;
  return new RestorableError(describeFsError(err, path));
}
