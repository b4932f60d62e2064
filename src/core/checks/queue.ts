import { availableParallelism } from 'node:os';
import { AbortError, RestorableError } from '../errors.js';
import type { CheckEvent } from '../events/types.js';
import { reduceRun, type RunState } from './run-state.js';
import type { WorkerPool } from '../hash/pool.js';
import { discover, type Target } from '../manifest/discover.js';
import { DEFAULT_BLOCK_SIZE, createManifests } from './create.js';
import { verifyTarget } from './verify.js';
import type { DrillOptions } from '../drill/drill.js';

export type RunKind = 'verify' | 'blocks' | 'create' | 'deep' | 'restore' | 'drill';
/** The runs shown as a list of steps: a deep check, a test restore, a restore drill. */
export type StepsKind = Extract<RunKind, 'deep' | 'restore' | 'drill'>;

/** The live state of one check of one backup, as a screen draws it. */
export interface BackupRun extends RunState {
  file: string;
  kind: RunKind;
  state: 'queued' | 'running' | 'done' | 'cancelled' | 'failed';
  error?: string;
}

export interface EnqueueOptions {
  force?: boolean;
  /** what discovery already found for this file */
  target?: Target;
  /** the file's size, when known */
  size?: number;
  /** a drill's options (whom its server runs as, the last drill of its series), worked out when it starts */
  drill?: () => Promise<DrillOptions>;
}

/** Below this, a check is mostly waiting, not hashing. */
const SMALL_FILE = 1024 * 1024;
const SMALL_FILES_PER_CORE = 8;

/** Told of every change; `settled` when a check has just ended (worth drawing at once). */
export type RunListener = (run: BackupRun, settled: boolean) => void;

/**
 * Runs checks for the inspector, a few at a time (both cores busy, disks
 * not thrashed), and keeps their live state: each event goes through the
 * one reducer into a new run state, and listeners hear of it (the
 * inspector's session throttles what it draws, so hashing never waits on
 * drawing).
 */
export class CheckQueue {
  private readonly runs = new Map<string, BackupRun>();
  private readonly pending: { key: string; small: boolean; start: () => Promise<void> }[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private active = 0;
  private readonly listeners = new Set<RunListener>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly concurrency = Math.max(1, availableParallelism()),
  ) {}

  get(file: string): BackupRun | undefined {
    return this.runs.get(file);
  }

  /**
   * Queues a check; a check of the same file already queued or running is
   * left alone. `target`: the manifests already found (a batch discovers a
   * folder once, not once per file); `size`: small files run many at a time.
   */
  enqueue(file: string, kind: RunKind, opts: EnqueueOptions = {}): void {
    const current = this.runs.get(file);
    if (current && (current.state === 'queued' || current.state === 'running')) return;
    this.set({ file, kind, state: 'queued', steps: [], findings: [] });
    this.pending.push({ key: file, small: opts.size !== undefined && opts.size < SMALL_FILE, start: () => this.execute(file, kind, opts) });
    this.pump();
  }

  /** Stops a queued or running check; the worker threads are released and nothing is written. */
  cancel(file: string): void {
    const run = this.runs.get(file);
    if (!run) return;
    const queued = this.pending.findIndex((p) => p.key === file);
    if (queued >= 0) {
      this.pending.splice(queued, 1);
      this.set({ ...run, state: 'cancelled' }, true);
    }
    this.controllers.get(file)?.abort();
  }

  cancelAll(): void {
    for (const file of [...this.runs.keys()]) this.cancel(file);
  }

  /** Listens to every change of every run. */
  onChange(listener: RunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Checks queued and not started yet. */
  get waiting(): number {
    return this.pending.length;
  }

  get busy(): boolean {
    return this.active > 0 || this.pending.length > 0;
  }

  private set(run: BackupRun, settled = false): BackupRun {
    this.runs.set(run.file, run);
    for (const l of this.listeners) l(run, settled);
    return run;
  }

  private pump(): void {
    // Small files are mostly waiting (open, stat, a worker's reply): more of them at once keep the cores busy.
    while (this.pending.length > 0 && this.active < (this.pending[0]!.small ? this.concurrency * SMALL_FILES_PER_CORE : this.concurrency)) {
      const next = this.pending.shift()!;
      this.active++;
      void next.start().finally(() => {
        this.active--;
        // The next check starts on the event loop's next turn, not in this chain of promise
        // callbacks: a key or a frame waiting to be read gets its turn between small files.
        setImmediate(() => this.pump());
      });
    }
  }

  private async execute(file: string, kind: RunKind, opts: EnqueueOptions): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(file, controller);
    let run = this.set({ ...this.runs.get(file)!, state: 'running' });
    const ctx = { pool: this.pool, signal: controller.signal };
    try {
      for await (const event of this.events(run, ctx, opts)) run = this.set(reduceRun(this.runs.get(file)!, event));
      run = { ...this.runs.get(file)!, state: this.runs.get(file)!.result ? 'done' : 'failed' };
    } catch (err) {
      const current = this.runs.get(file)!;
      if (err instanceof AbortError || controller.signal.aborted) run = { ...current, state: 'cancelled' };
      else run = { ...current, state: 'failed', error: err instanceof RestorableError ? err.message : `unexpected failure: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      this.controllers.delete(file);
      this.set(run, true);
    }
  }

  private async *events(run: BackupRun, ctx: { pool: WorkerPool; signal: AbortSignal }, opts: EnqueueOptions): AsyncGenerator<CheckEvent> {
    if (run.kind === 'create') {
      yield* createManifests(run.file, ctx, { algorithms: ['sha256'], blockSize: DEFAULT_BLOCK_SIZE, force: opts.force });
      return;
    }
    if (run.kind === 'deep') {
      const { deepCheck } = await import('./deep.js');
      yield* deepCheck(run.file, { signal: ctx.signal });
      return;
    }
    if (run.kind === 'drill') {
      if (!opts.drill) throw new RestorableError('a drill runs with its options');
      const options = await opts.drill();
      const { drill } = await import('../drill/drill.js');
      yield* drill(run.file, { ...options, signal: ctx.signal });
      return;
    }
    if (run.kind === 'restore') {
      const { restoreTest } = await import('./restore.js');
      yield* restoreTest(run.file, { signal: ctx.signal });
      return;
    }
    const { targets, problems } = opts.target ? { targets: [opts.target], problems: [] } : await discover([run.file]);
    const target = targets.find((t) => t.file === run.file);
    for (const p of problems) yield { type: 'finding', file: run.file, finding: { severity: 'error', message: p.message } };
    if (!target) throw new RestorableError(`${run.file}: nothing to check`);
    if (run.kind === 'blocks') {
      const maps = target.expectations.filter((e) => e.kind === 'block-map');
      if (maps.length === 0) throw new RestorableError(`no block map for this backup: open it (enter) and press m to write one`);
      yield* verifyTarget({ ...target, expectations: maps }, ctx, { blocks: true });
      return;
    }
    yield* verifyTarget(target, ctx);
  }
}
