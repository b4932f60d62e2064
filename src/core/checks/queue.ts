import { availableParallelism } from 'node:os';
import { AbortError, RestorableError } from '../errors.js';
import type { BlockState, CheckEvent, CheckResult, Finding, Phase } from '../events/types.js';
import type { WorkerPool } from '../hash/pool.js';
import { discover } from '../manifest/discover.js';
import { DEFAULT_BLOCK_SIZE, createManifests } from './create.js';
import { verifyTarget } from './verify.js';

export type RunKind = 'verify' | 'blocks' | 'create' | 'deep' | 'restore';

/** The live state of one check of one backup, as a screen draws it. */
export interface BackupRun {
  file: string;
  kind: RunKind;
  state: 'queued' | 'running' | 'done' | 'cancelled' | 'failed';
  phase?: Phase;
  progress?: { done: number; total: number; bytesPerSec: number; etaSeconds?: number; parts?: Record<string, number> };
  steps: { id: string; title: string; state: string; detail?: string }[];
  findings: Finding[];
  /** block states as they arrive, for the block grid (index → state) */
  blocks?: { total: number; blockSize: number; fileSize: number; states: (BlockState | undefined)[] };
  result?: CheckResult;
  error?: string;
}

/**
 * Runs checks for the inspector, a few at a time (both cores busy, disks
 * not thrashed), and keeps their live state. Screens poll `version` on a
 * timer instead of re-rendering per event, so hashing never waits on drawing.
 */
export class CheckQueue {
  private readonly runs = new Map<string, BackupRun>();
  private readonly pending: { key: string; start: () => Promise<void> }[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private active = 0;
  private readonly settleListeners = new Set<() => void>();
  /** increases on every change */
  version = 0;

  constructor(
    private readonly pool: WorkerPool,
    private readonly concurrency = Math.max(1, availableParallelism()),
  ) {}

  get(file: string): BackupRun | undefined {
    return this.runs.get(file);
  }

  /** Queues a check; a check of the same file already queued or running is left alone. */
  enqueue(file: string, kind: RunKind, opts: { force?: boolean } = {}): void {
    const current = this.runs.get(file);
    if (current && (current.state === 'queued' || current.state === 'running')) return;
    const run: BackupRun = { file, kind, state: 'queued', steps: [], findings: [] };
    this.runs.set(file, run);
    this.touch();
    this.pending.push({ key: file, start: () => this.execute(run, opts) });
    this.pump();
  }

  /** Stops a queued or running check; the worker threads are released and nothing is written. */
  cancel(file: string): void {
    const run = this.runs.get(file);
    if (!run) return;
    const queued = this.pending.findIndex((p) => p.key === file);
    if (queued >= 0) {
      this.pending.splice(queued, 1);
      run.state = 'cancelled';
      this.touch();
    }
    this.controllers.get(file)?.abort();
  }

  cancelAll(): void {
    for (const file of [...this.runs.keys()]) this.cancel(file);
  }

  /** Called when a check ends (done, failed or cancelled): worth drawing at once. */
  onSettle(listener: () => void): () => void {
    this.settleListeners.add(listener);
    return () => this.settleListeners.delete(listener);
  }

  get busy(): boolean {
    return this.active > 0 || this.pending.length > 0;
  }

  private touch(): void {
    this.version++;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.pending.length > 0) {
      const next = this.pending.shift()!;
      this.active++;
      void next.start().finally(() => {
        this.active--;
        this.touch();
        this.pump();
      });
    }
  }

  private async execute(run: BackupRun, opts: { force?: boolean }): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(run.file, controller);
    run.state = 'running';
    this.touch();
    const ctx = { pool: this.pool, signal: controller.signal };
    try {
      for await (const event of this.events(run, ctx, opts)) this.apply(run, event);
      run.state = run.result ? 'done' : 'failed';
    } catch (err) {
      if (err instanceof AbortError || controller.signal.aborted) run.state = 'cancelled';
      else {
        run.state = 'failed';
        run.error = err instanceof RestorableError ? err.message : `unexpected failure: ${err instanceof Error ? err.message : String(err)}`;
      }
    } finally {
      this.controllers.delete(run.file);
      this.touch();
      for (const listener of this.settleListeners) listener();
    }
  }

  private async *events(run: BackupRun, ctx: { pool: WorkerPool; signal: AbortSignal }, opts: { force?: boolean }): AsyncGenerator<CheckEvent> {
    if (run.kind === 'create') {
      yield* createManifests(run.file, ctx, { algorithms: ['sha256'], blockSize: DEFAULT_BLOCK_SIZE, force: opts.force });
      return;
    }
    if (run.kind === 'deep') {
      const { deepCheck } = await import('./deep.js');
      yield* deepCheck(run.file, { signal: ctx.signal });
      return;
    }
    if (run.kind === 'restore') {
      const { restoreTest } = await import('./restore.js');
      yield* restoreTest(run.file, { signal: ctx.signal });
      return;
    }
    const { targets, problems } = await discover([run.file]);
    const target = targets.find((t) => t.file === run.file);
    if (problems.length > 0) run.findings.push(...problems.map((p) => ({ severity: 'error' as const, message: p.message })));
    if (!target) throw new RestorableError(`${run.file}: nothing to check`);
    if (run.kind === 'blocks') {
      const maps = target.expectations.filter((e) => e.kind === 'block-map');
      if (maps.length === 0) throw new RestorableError(`no block map for this backup: open it (enter) and press m to write one`);
      yield* verifyTarget({ ...target, expectations: maps }, ctx, { blocks: true });
      return;
    }
    yield* verifyTarget(target, ctx);
  }

  private apply(run: BackupRun, event: CheckEvent): void {
    switch (event.type) {
      case 'progress':
        run.phase = event.phase;
        run.progress = { done: event.done, total: event.total, bytesPerSec: event.bytesPerSec, etaSeconds: event.etaSeconds, parts: event.parts };
        break;
      case 'step': {
        const at = run.steps.findIndex((s) => s.id === event.id);
        const step = { id: event.id, title: event.title, state: event.state, detail: event.detail };
        if (at >= 0) run.steps[at] = { ...run.steps[at]!, ...step, title: run.steps[at]!.title };
        else run.steps.push(step);
        break;
      }
      case 'blockmap':
        run.blocks = { total: event.totalBlocks, blockSize: event.blockSize, fileSize: event.fileSize, states: new Array(event.totalBlocks) };
        break;
      case 'block':
        if (run.blocks) for (let i = event.index; i < event.index + event.count && i < run.blocks.total; i++) run.blocks.states[i] = event.state;
        break;
      case 'finding':
        run.findings.push(event.finding);
        break;
      case 'result':
        run.result = event.result;
        break;
      default:
        return;
    }
    this.touch();
  }
}
