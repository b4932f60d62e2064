import type { WorkerPool } from '../hash/pool.js';

/** What every check needs from its caller. */
export interface CheckContext {
  pool: WorkerPool;
  signal?: AbortSignal;
  /** minimum milliseconds between progress events (default 100) */
  progressIntervalMs?: number;
}
