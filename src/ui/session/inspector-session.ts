import { mkdir } from 'node:fs/promises';
import { CheckQueue, type BackupRun, type RunKind } from '../../core/checks/queue.js';
import { verifyTarget } from '../../core/checks/verify.js';
import type { CheckEvent, CheckResult } from '../../core/events/types.js';
import type { WorkerPool } from '../../core/hash/pool.js';
import { recordedState, scanFolders, type BackupEntry, type Inventory } from '../../core/inventory/inventory.js';
import { discover } from '../../core/manifest/discover.js';
import type { DrillRecord, Ledger, LedgerRecord } from '../../core/schedule/ledger.js';
import type { DrillOptions } from '../../core/drill/drill.js';
import { rememberDrill } from '../../core/drill/ledger-drills.js';
import { seriesOf } from '../../core/drill/series.js';
import { isFailing, strengthOf, type BackupState } from '../../core/schedule/strength.js';
import { unvouched } from '../../output/style.js';
import type { CopyChecks } from '../copies/copy-checks.js';
import { BATCH_FRAME_INTERVAL_MS, FRAME_INTERVAL_MS } from './frame-interval.js';

/** How often a long batch of checks writes the ledger. */
const SAVE_INTERVAL_MS = 3000;

/** The ledger's name for what a run of the inspector checked: the strongest check it made. */
function checkKindOf(run: BackupRun, result: CheckResult): string | undefined {
  if (run.kind === 'create') return undefined; // writing a manifest proves nothing about the bytes
  if (run.kind === 'deep' || run.kind === 'restore' || run.kind === 'drill') return run.kind;
  return [...result.checks].sort((a, b) => strengthOf(b) - strengthOf(a))[0];
}

async function resultOf(gen: AsyncGenerator<CheckEvent, CheckResult>): Promise<CheckResult> {
  for (;;) {
    const next = await gen.next();
    if (next.done) return next.value;
  }
}

/**
 * Everything the inspector knows and does, without React: the backups
 * listed, the checks running, the copies in storage locations, and the
 * ledger they are recorded in (through its lock, so a scan running at the
 * same time keeps its records). Screens read it through `subscribe` and
 * `getSnapshot` (useSyncExternalStore); while checks run it tells them at
 * most ten times a second (four while a batch waits), when a check ends at once, and when nothing
 * runs it keeps no timer at all.
 */
export class InspectorSession {
  private version = 0;
  private readonly listeners = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private saving: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];
  /** what could not be done, for the status line: a ledger that could not be read or written */
  notice?: string;
  /** the backup to open first (`restorable FILE`) */
  focus?: string;

  private constructor(
    public inventory: Inventory,
    private readonly pool: WorkerPool,
    readonly queue: CheckQueue,
    private readonly ledger: Ledger | undefined,
    private readonly stateDir: string,
    readonly copies: CopyChecks | undefined,
  ) {
    this.unsubscribe.push(
      queue.onChange((run, settled) => {
        if (settled) this.recordRun(run);
        // The end of a check is drawn at once, unless others still run: then with the next frame.
        this.changed(settled && !queue.busy);
      }),
    );
    if (copies) this.unsubscribe.push(copies.onChange((settled) => this.changed(settled)));
  }

  static async open(dirs: string[], opts: { pool: WorkerPool; stateDir: string; copies?: CopyChecks; concurrency?: number; focus?: string; runAs?: string }): Promise<InspectorSession> {
    const { Ledger } = await import('../../core/schedule/ledger.js');
    let ledger: Ledger | undefined;
    let notice: string | undefined;
    try {
      ledger = await Ledger.open(opts.stateDir, { create: false });
    } catch (err) {
      notice = `the ledger cannot be read, so checks are not recorded: ${err instanceof Error ? err.message : String(err)}`;
    }
    const inventory = await scanFolders(dirs, { stateDir: opts.stateDir, ledger });
    const session = new InspectorSession(inventory, opts.pool, new CheckQueue(opts.pool, opts.concurrency), ledger, opts.stateDir, opts.copies);
    session.notice = notice;
    session.focus = opts.focus;
    session.runAs = opts.runAs;
    return session;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): number => this.version;

  run(file: string): BackupRun | undefined {
    return this.queue.get(file);
  }

  /** The backup's one state: the worst finding no check as strong has cleared (this session's checks included), else its latest check. */
  state(entry: BackupEntry): BackupState | undefined {
    if (this.ledger) {
      // Each frame asks for every backup's state (the counts): worked out once per change of its records.
      if (!this.states.has(entry.file)) this.states.set(entry.file, recordedState(this.ledger.records(entry.file), entry.resultsFile));
      return this.states.get(entry.file);
    }
    // Without a ledger (it could not be read), this session's last check, else what was listed.
    const run = this.queue.get(entry.file);
    const result = run?.result;
    if (result && run.kind !== 'create') return { status: result.status, failing: isFailing(result.status), check: checkKindOf(run, result) ?? run.kind, at: result.checkedAt };
    return entry.last && { ...entry.last, at: entry.last.checkedAt };
  }

  /** Every check kind's latest record of the backup. */
  records(entry: BackupEntry): Record<string, LedgerRecord> {
    return this.ledger?.records(entry.file) ?? {};
  }

  /**
   * Writes a report of these backups (BASE.md and BASE.json, never over a
   * file that exists): each one's state, every check kind's last result,
   * and what this session found in it. Returns the paths written.
   */
  async exportReport(entries: BackupEntry[], base: string, title: string): Promise<string[]> {
    const { writeIncidentReport } = await import('../../core/report/incident-report.js');
    const items = entries.map((e) => ({ file: e.file, size: e.size, mtimeMs: e.mtimeMs, state: this.state(e), checks: this.records(e), result: this.queue.get(e.file)?.result }));
    return writeIncidentReport(base, items, { title });
  }

  enqueue(file: string, kind: RunKind, opts?: { force?: boolean }): void {
    this.queue.enqueue(file, kind, kind === 'drill' ? { ...opts, drill: () => this.drillOptions(file) } : opts);
  }

  /** Whom a drill's server runs as (--run-as, when the inspector runs as root), and the last drill of its series, which it is held to. */
  private async drillOptions(file: string): Promise<DrillOptions> {
    const { resolveRunAs } = await import('../../core/drill/run-as.js');
    const runAs = await resolveRunAs(this.runAs);
    return { runAs, previous: this.lastDrill(file) };
  }

  /** The last drill that passed of this backup's series (the ledger's). */
  lastDrill(file: string): DrillRecord | undefined {
    return this.ledger?.lastDrill(seriesOf(file));
  }

  /** `--run-as`: whom drills run as when the inspector runs as root */
  runAs?: string;

  /** A verification of many backups (V): how far it got. */
  batch?: { files: string[]; sizes: number[]; totalBytes: number; startedAt: number };

  /**
   * Verifies these backups: their folders' manifests are found once (not
   * once per backup), small files run many at a time.
   */
  async verifyAll(entries: BackupEntry[]): Promise<void> {
    this.batch = { files: entries.map((e) => e.file), sizes: entries.map((e) => e.size), totalBytes: entries.reduce((n, e) => n + e.size, 0), startedAt: performance.now() };
    const { targets } = await discover([...new Set(entries.map((e) => e.folder))]);
    const byFile = new Map(targets.map((t) => [t.file, t]));
    for (const e of entries) this.queue.enqueue(e.file, 'verify', { target: byFile.get(e.file), size: e.size });
  }

  /** The batch's progress: checks ended of all, bytes read per second, seconds left (by bytes). */
  batchProgress(): { done: number; total: number; bytesPerSec: number; etaSeconds?: number } | undefined {
    const batch = this.batch;
    if (!batch) return undefined;
    let done = 0;
    let doneBytes = 0;
    const { totalBytes } = batch;
    batch.files.forEach((file, i) => {
      const state = this.queue.get(file)?.state;
      if (state !== 'queued' && state !== 'running') {
        done++;
        doneBytes += batch.sizes[i]!;
      }
    });
    const seconds = (performance.now() - batch.startedAt) / 1000;
    const bytesPerSec = seconds > 0 ? doneBytes / seconds : 0;
    return { done, total: batch.files.length, bytesPerSec, etaSeconds: bytesPerSec > 0 ? (totalBytes - doneBytes) / bytesPerSec : undefined };
  }

  /**
   * The cheap check of every backup, on open: sizes against the manifests
   * (a stat and a manifest read each, never the contents), recorded as a
   * `quick` check. A backup cut short is marked before any key is pressed.
   */
  async checkSizes(signal?: AbortSignal): Promise<void> {
    const { targets } = await discover(this.inventory.folders);
    for (const target of targets) {
      if (signal?.aborted) return;
      const entry = this.entryOf(target.file);
      // Only what a size can settle: a manifest that states one, or none at all (no manifest).
      if (!entry || (target.expectations.length > 0 && !target.expectations.some((e) => e.size !== undefined))) continue;
      // A check of its own running now says more than a size.
      if (this.queue.get(target.file)?.state === 'running') continue;
      this.record(entry, 'quick', await resultOf(verifyTarget(target, { pool: this.pool, signal }, { quick: true })));
      this.changed();
    }
    this.changed(true);
    await this.save();
  }

  /** Lists the folders again (after manifests were written), keeping what is known. */
  async rescan(): Promise<void> {
    this.inventory = await scanFolders(this.inventory.folders, { stateDir: this.stateDir, ledger: this.ledger });
    this.states.clear();
    this.changed(true);
  }

  close(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      void this.save();
    }
    this.queue.cancelAll();
    this.copies?.close();
    for (const u of this.unsubscribe.splice(0)) u();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Waits until what was recorded is on disk. */
  flush(): Promise<void> {
    return this.saving;
  }

  private recordRun(run: BackupRun): void {
    const entry = this.entryOf(run.file);
    if (!entry || run.state !== 'done' || !run.result) return;
    const check = checkKindOf(run, run.result);
    if (!check) return;
    this.record(entry, check, run.result);
    if (this.ledger) rememberDrill(this.ledger, run.result);
    this.saveSoon();
  }

  private saveTimer?: NodeJS.Timeout;

  /** A batch of thousands of checks saves the ledger every few seconds, not once per check. */
  private saveSoon(): void {
    if (!this.queue.busy) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      void this.save();
      return;
    }
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, SAVE_INTERVAL_MS);
  }

  private readonly states = new Map<string, BackupState | undefined>();
  private entries?: { of: Inventory; byFile: Map<string, BackupEntry> };

  /** The listed backup of a path (thousands of checks end in a batch: a lookup, not a scan). */
  private entryOf(file: string): BackupEntry | undefined {
    if (this.entries?.of !== this.inventory) this.entries = { of: this.inventory, byFile: new Map(this.inventory.backups.map((b) => [b.file, b])) };
    return this.entries.byFile.get(file);
  }

  private record(entry: BackupEntry, check: string, result: CheckResult): void {
    this.states.delete(entry.file);
    this.ledger?.record(entry.file, check, {
      status: result.status,
      size: result.size ?? entry.size,
      mtimeMs: entry.mtimeMs,
      detail: result.findings.find((f) => f.severity === 'error')?.message,
      vouched: !unvouched(result),
    });
  }

  /** One save at a time, through the ledger's lock; a failure is a notice, never lost silently. */
  private save(): Promise<void> {
    const ledger = this.ledger;
    if (!ledger) return this.saving;
    this.saving = this.saving.then(async () => {
      try {
        await mkdir(this.stateDir, { recursive: true });
        await ledger.save();
      } catch (err) {
        this.notice = `checks could not be recorded in the ledger: ${err instanceof Error ? err.message : String(err)}`;
        this.changed(true);
      }
    });
    return this.saving;
  }

  /** Tells the screens: at once when something ended, else at most once per frame (fewer while a batch waits). */
  private changed(now = false): void {
    if (now) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.notify();
    } else this.timer ??= setTimeout(() => this.notify(), this.queue.waiting > 0 ? BATCH_FRAME_INTERVAL_MS : FRAME_INTERVAL_MS);
  }

  private notify(): void {
    this.timer = undefined;
    this.version++;
    for (const l of this.listeners) l();
  }
}
