import { mkdir } from 'node:fs/promises';
import { AbortError, RestorableError } from '../../core/errors.js';
import type { CheckEvent, CheckResult } from '../../core/events/types.js';
import type { BackupEntry } from '../../core/inventory/inventory.js';
import type { BackupRef, CopyPlace } from '../../core/locations/check-copies.js';
import type { LocationRule } from '../../core/locations/config.js';
import type { IntegrityCheck, Ledger } from '../../core/schedule/ledger.js';
import { LocalLocation } from '../../core/storage/local-location.js';
import type { Location } from '../../core/storage/location.js';
import type { LocationSpec } from '../../core/storage/uri.js';
import { reduceRun, type RunState } from '../../core/checks/run-state.js';
import type { RangeReader } from '../../core/inspect/find-bytes.js';
import { isPass } from '../../core/schedule/strength.js';
import { FRAME_INTERVAL_MS } from '../session/frame-interval.js';

/** One place a backup's copy lives, named as the ledger and the screens name it. */
export interface Place {
  name: string;
  kind: 'local' | 's3';
  display: string;
}

/** A check of every copy of one backup, or a heal and the re-check after it, as the screens draw it. */
export interface CopiesRun extends RunState {
  kind: 'check' | 'heal';
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** the copy being read now */
  current?: string;
  /** the copy being healed */
  target?: string;
  error?: string;
}

/** What is known of one copy: this session's check, else the ledger's last one. */
export interface CopyKnown {
  status?: string;
  when?: string;
  result?: CheckResult;
  error?: string;
}

const HEALABLE = new Set(['corrupt_blocks', 'hash_mismatch', 'size_mismatch']);
export const isHealable = (status: string | undefined): boolean => status !== undefined && HEALABLE.has(status);

export const specDisplay = (s: LocationSpec): string => (s.kind === 'local' ? s.root : `s3://${s.bucket}${s.prefix ? `/${s.prefix}` : ''}`);

/**
 * The inspector's side of storage locations: which copies each backup has,
 * what the ledger says of them, and checks and heals run one backup at a
 * time. Locations open on first use, so a bucket's SDK loads only then.
 */
export class CopyChecks {
  private readonly runs = new Map<string, CopiesRun>();
  private readonly latest = new Map<string, Map<string, CheckResult>>();
  private readonly opened = new Map<string, Promise<Location>>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly listeners = new Set<(settled: boolean) => void>();
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly specs: LocationSpec[],
    private readonly rules: LocationRule[],
    private readonly ledger: Ledger,
    private readonly stateDir: string,
  ) {}

  static async open(specs: LocationSpec[], rules: LocationRule[], stateDir: string): Promise<CopyChecks> {
    const { Ledger } = await import('../../core/schedule/ledger.js');
    return new CopyChecks(specs, rules, await Ledger.open(stateDir, { create: false }), stateDir);
  }

  /** The configured locations: the list's views after "this machine". */
  get locations(): Place[] {
    return this.specs.map((s) => ({ name: s.name, kind: s.kind, display: specDisplay(s) }));
  }

  /** Every copy of a backup: its own folder (as "local", unless a location is that folder) and each location. */
  placesFor(entry: BackupEntry): Place[] {
    const own = this.specs.some((s) => s.kind === 'local' && s.root === entry.folder);
    const configured = this.locations.filter((l) => own || l.name !== 'local');
    return own ? configured : [{ name: 'local', kind: 'local', display: entry.folder }, ...configured];
  }

  run(entry: BackupEntry): CopiesRun | undefined {
    return this.runs.get(entry.file);
  }

  known(entry: BackupEntry, location: string): CopyKnown {
    const result = this.latest.get(entry.file)?.get(location);
    if (result) return { status: result.status, when: result.checkedAt, result, error: result.findings.find((f) => f.severity === 'error')?.message };
    const rec: IntegrityCheck | undefined = this.ledger.copies(entry.name)[location];
    return rec ? { status: rec.status, when: rec.timestamp, error: rec.errors[0] } : {};
  }

  /** Listens to every change; `settled` when a check or heal has just ended. */
  onChange(listener: (settled: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Checks every copy of the backup (cheapest sound evidence first) and records each in the ledger. */
  check(entry: BackupEntry): void {
    this.start(entry, { kind: 'check', state: 'running', steps: [], findings: [] }, (run, signal) => this.checkAll(entry, run, signal));
  }

  /** Heals the copy in `target` from the copy in `source`, then checks every copy again. */
  heal(entry: BackupEntry, target: string, source: string): void {
    this.start(entry, { kind: 'heal', state: 'running', target, steps: [], findings: [] }, async (run, signal) => {
      const ref = await this.refOf(entry);
      const [to, from] = await Promise.all([this.location(entry, target), this.location(entry, source)]);
      const { healCopy } = await import('../../core/locations/heal.js');
      // The backup in its own folder is the user's file: keep the repair beside it. Elsewhere, swap it in.
      const replace = !(target === 'local' && to.kind === 'local');
      const out = await this.drain(run, healCopy({ key: ref.key, expectations: ref.expectations, target: to, source: from, replace }, { signal, progressIntervalMs: FRAME_INTERVAL_MS }));
      run.result = out.result;
      // A copy swapped in place was verified whole: the ledger hears it, or an ETag re-check could not clear the old failure.
      if (replace && out.healedBlocks > 0) this.ledger.recordHealed(ref.key, to.name, out.result);
      run.findings.push(...out.result.findings.filter((f) => f.severity === 'info').slice(1));
      run.steps.push({ id: 'recheck', title: 'check every copy again', state: 'running' });
      this.touch();
      await this.checkAll(entry, run, signal);
      const again = this.placesFor(entry).map((p) => `${p.name} ${this.known(entry, p.name).status?.replace(/_/g, ' ') ?? 'unchecked'}`);
      run.steps[run.steps.length - 1] = { id: 'recheck', title: 'check every copy again', state: 'ok', detail: again.join(' · ') };
    });
  }

  /**
   * A copy of the backup elsewhere that its last check found verified, with
   * a reader of its bytes: what the hex view compares the backup with.
   * The backup's own folder is never its own reference.
   */
  async healthyCopy(entry: BackupEntry): Promise<{ name: string; readRange: RangeReader } | undefined> {
    for (const place of this.placesFor(entry)) {
      if (place.kind === 'local' && place.display === entry.folder) continue;
      const status = this.known(entry, place.name).status;
      if (!status || !isPass(status)) continue;
      const [location, ref] = await Promise.all([this.location(entry, place.name), this.refOf(entry)]);
      return { name: place.name, readRange: (offset, length) => location.readRange(ref.key, offset, length) };
    }
    return undefined;
  }

  cancel(entry: BackupEntry): void {
    this.controllers.get(entry.file)?.abort();
  }

  close(): void {
    for (const c of this.controllers.values()) c.abort();
    for (const l of this.opened.values()) void l.then((x) => x.close(), () => {});
  }

  private touch(settled = false): void {
    for (const l of this.listeners) l(settled);
  }

  /** One backup's work at a time: reads of the same copies would only slow each other down. */
  private start(entry: BackupEntry, run: CopiesRun, work: (run: CopiesRun, signal: AbortSignal) => Promise<void>): void {
    const current = this.runs.get(entry.file);
    if (current?.state === 'running') return;
    const controller = new AbortController();
    this.controllers.set(entry.file, controller);
    this.runs.set(entry.file, run);
    this.touch();
    this.tail = this.tail.then(async () => {
      try {
        if (controller.signal.aborted) throw new AbortError();
        await work(run, controller.signal);
        run.state = 'done';
      } catch (err) {
        if (err instanceof AbortError || controller.signal.aborted) run.state = 'cancelled';
        else {
          run.state = 'failed';
          run.error = err instanceof RestorableError ? err.message : `unexpected failure: ${err instanceof Error ? err.message : String(err)}`;
          for (const s of run.steps) if (s.state === 'running') s.state = 'failed';
        }
      } finally {
        run.current = undefined;
        this.controllers.delete(entry.file);
        this.touch(true);
      }
    });
  }

  private async checkAll(entry: BackupEntry, run: CopiesRun, signal: AbortSignal): Promise<void> {
    const ref = await this.refOf(entry);
    const { checkCopiesRecorded } = await import('../../core/locations/recorded.js');
    const { expectedIn } = await import('../../core/locations/config.js');
    const places: CopyPlace[] = await Promise.all(this.placesFor(entry).map(async (p) => ({ location: await this.location(entry, p.name), expected: expectedIn(this.rules, ref.key, p.name) })));
    const byFile = new Map(places.map((p) => [p.location.describe(ref.key), p.location.name]));
    const out = await this.drain(run, checkCopiesRecorded(ref, places, this.ledger, { signal, progressIntervalMs: FRAME_INTERVAL_MS }), (ev) => {
      if (ev.type === 'progress') run.current = byFile.get(ev.file);
    });
    const mine = this.latest.get(entry.file) ?? new Map<string, CheckResult>();
    this.latest.set(entry.file, mine);
    for (const r of out.results) {
      if (!r.copy) continue;
      mine.set(r.copy.location, r);
    }
    await mkdir(this.stateDir, { recursive: true });
    await this.ledger.save();
  }

  /** Applies a generator's progress and steps to the run, and returns what it returns. */
  private async drain<T>(run: CopiesRun, gen: AsyncGenerator<CheckEvent, T>, also?: (ev: CheckEvent) => void): Promise<T> {
    for (;;) {
      const next = await gen.next();
      if (next.done) return next.value;
      const ev = next.value;
      also?.(ev);
      // Progress and steps are what the copies' screens draw; the rest is in what the generator returns.
      if (ev.type !== 'progress' && ev.type !== 'step') continue;
      Object.assign(run, reduceRun(run, ev));
      this.touch();
    }
  }

  /** The backup as its manifests describe it, keyed by its name in its folder (as the CLI keys it). */
  private async refOf(entry: BackupEntry): Promise<BackupRef> {
    const { referencesFromPaths } = await import('../../core/locations/references.js');
    const refs = await referencesFromPaths([entry.file]);
    return refs.backups[0]?.ref ?? { key: entry.name, expectations: [], memberSource: entry.file };
  }

  private location(entry: BackupEntry, name: string): Promise<Location> {
    const spec = this.specs.find((s) => s.name === name);
    const id = spec ? `@${name}` : entry.folder;
    let l = this.opened.get(id);
    if (!l) {
      l = spec ? import('../../core/storage/open-location.js').then((m) => m.openLocation(spec)) : Promise.resolve(new LocalLocation('local', entry.folder));
      this.opened.set(id, l);
    }
    return l;
  }
}
