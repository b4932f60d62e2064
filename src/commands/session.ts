import { WorkerPool } from '../core/hash/pool.js';
import { interruptSignal } from './interrupt.js';

/**
 * What one command invocation owns: the worker threads, and the abort
 * signal that Ctrl-C and SIGTERM trip (interrupt.ts: the one abort path).
 */
export interface Session {
  pool: WorkerPool;
  signal: AbortSignal;
  close(): Promise<void>;
}

/**
 * `warm`: how many worker threads to start right away, so that their start
 * overlaps reading the manifests (a whole-file digest needs one; block
 * verification uses every core).
 */
export function openSession(opts: { threads?: number; warm?: number } = {}): Session {
  const pool = new WorkerPool(opts.threads);
  if ((opts.warm ?? 1) > 0 && !interruptSignal.aborted) pool.warm(Math.min(pool.threads, opts.warm ?? 1));
  return {
    pool,
    signal: interruptSignal,
    async close() {
      await pool.close();
      // Bucket clients keep connections open: close any a command opened.
      const { closeObjectLocations } = await import('../core/storage/object-uri.js');
      await closeObjectLocations();
    },
  };
}
