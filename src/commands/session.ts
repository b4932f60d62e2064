import { WorkerPool } from '../core/hash/pool.js';
import { EXIT } from '../core/errors.js';

/**
 * What one command invocation owns: the worker threads and the abort signal
 * that Ctrl-C and SIGTERM trip. A second Ctrl-C exits at once.
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
  const controller = new AbortController();
  const pool = new WorkerPool(opts.threads);
  if ((opts.warm ?? 1) > 0) pool.warm(Math.min(pool.threads, opts.warm ?? 1));
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    pool,
    signal: controller.signal,
    async close() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await pool.close();
      // Bucket clients keep connections open: close any a command opened.
      const { closeObjectLocations } = await import('../core/storage/object-uri.js');
      await closeObjectLocations();
    },
  };
}
