import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { z } from 'zod';
import { ManifestError, fsError } from '../errors.js';
import { isFailing, isPass, stateOf, strengthOf, type BackupState } from './strength.js';
import { withLock } from './state-lock.js';
import type { Status } from '../events/types.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import { fieldPath, parseJsonFile, readIfPresent } from '../manifest/safe-json.js';

/**
 * The verification ledger: for every backup and check, when it was last
 * verified and what came out. Scans pick the stalest first, so repeated
 * budgeted runs cover everything. It lives in a state folder of its own,
 * never inside the (possibly read-only) backup folders.
 */

/** Where the ledger segments of sharded runs are kept, one file per shard, until they are merged. */
const SEGMENTS = 'ledger.d';

/** A shard's segment name: "shard-2-of-4" (counted from 1). */
export function shardSegment(shard: { index: number; count: number }): string {
  return `shard-${shard.index + 1}-of-${shard.count}`;
}

export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'restorable');
}

const record = z.object({
  at: z.string(),
  status: z.string(),
  size: z.number().nonnegative(),
  mtime_ms: z.number(),
  detail: z.string().optional(),
  /** false for a pass nothing vouched for (an archive read to its end, no checksum over its members) */
  vouched: z.boolean().optional(),
});
/** The outcome of a `locations` check of one copy, and the evidence it rested on (etag, sample, full…). */
const integrityCheck = z.object({
  timestamp: z.string(),
  status: z.string(),
  errors: z.array(z.string()),
  evidence: z.string().optional(),
  /** bytes of the copy read to judge it (downloaded, for a bucket) */
  bytes_read: z.number().nonnegative().optional(),
  /** the copy as reports name it ("s3://bucket/prefix/KEY"): alerts decided from the ledger use the same name */
  where: z.string().optional(),
  /** its Object Lock against the location's policy, where one is set: what falls short, or "ok" */
  lock: z.string().optional(),
});
/** The blocks of a copy sampled this cycle (see locations/coverage.ts). */
const copyCoverage = z.object({
  /** the block map's file hash: the coverage is of the copy of that backup */
  map: z.string(),
  /** the copy's ETag (or size and time) when its blocks were read: a replaced copy starts again */
  copy: z.string().optional(),
  blocks: z.number().int().nonnegative(),
  /** one bit per block, base64: read and found good this cycle */
  read: z.string(),
  cycle_started: z.string(),
  /** runs that read blocks this cycle */
  runs: z.number().int().nonnegative(),
  /** blocks the latest run read: the rate the report extrapolates from */
  last_run_blocks: z.number().int().nonnegative(),
});
/** One check of a backup, as its history keeps it. */
const historyEntry = z.object({ at: z.string(), check: z.string(), status: z.string(), detail: z.string().optional() });
/** What is known of a backup's good bytes beyond its manifest (learnt from a verified read). */
const knownDigests = z.object({
  size: z.number().nonnegative(),
  sha256: z.string(),
  md5: z.string().optional(),
  etags: z.record(z.string()),
  /** checksums of the kinds stores keep (crc64nvme, crc32c, sha1) that no manifest states */
  checksums: z.record(z.string()).optional(),
});
/** The last restore drill of a series of dumps: which one, when, and every table's rows, which the next drill is held to. */
const drillRecord = z.object({ file: z.string(), at: z.string(), tables: z.record(z.number().nonnegative()) });
const ledgerSchema = z.object({
  version: z.literal(1),
  backups: z.record(z.record(record)),
  /** backup name → location name → its last integrity check, and the failure it has not yet cleared */
  locations: z.record(z.record(z.object({ last_integrity_check: integrityCheck, open_failure: integrityCheck.optional(), coverage: copyCoverage.optional() }))).optional(),
  known_digests: z.record(knownDigests).optional(),
  /** backup → its last checks, oldest first (at most HISTORY_LENGTH) */
  history: z.record(z.array(historyEntry)).optional(),
  /** series of dumps (their names with dates taken out) → their last drill */
  drills: z.record(drillRecord).optional(),
});

export type LedgerRecord = z.infer<typeof record>;
export type IntegrityCheck = z.infer<typeof integrityCheck>;
export type KnownDigests = z.infer<typeof knownDigests>;
export type HistoryEntry = z.infer<typeof historyEntry>;
export type CopyCoverage = z.infer<typeof copyCoverage>;
export type DrillRecord = z.infer<typeof drillRecord>;
type LedgerData = z.infer<typeof ledgerSchema>;

/** Checks kept per backup in its history. */
export const HISTORY_LENGTH = 50;

/** Reads and validates a ledger file; undefined when there is none. */
async function readLedger(file: string): Promise<LedgerData | undefined> {
  const text = await readIfPresent(file);
  if (text === undefined) return undefined;
  const parsed = ledgerSchema.safeParse(parseJsonFile(file, text));
  if (!parsed.success) throw new ManifestError(file, fieldPath(parsed.error.issues[0]!.path), parsed.error.issues[0]!.message);
  return parsed.data;
}

const later = <T>(a: T | undefined, b: T | undefined, at: (x: T) => string): T | undefined => (!a ? b : !b ? a : Date.parse(at(b)) >= Date.parse(at(a)) ? b : a);

/**
 * What two writers of one ledger know together: for each record the later
 * one, histories joined. `ours` wins ties and the digests it learnt.
 */
function merge(theirs: LedgerData, ours: LedgerData, ourDigests: Set<string>): LedgerData {
  const out: LedgerData = { version: 1, backups: {}, locations: {}, known_digests: { ...theirs.known_digests }, history: {}, drills: {} };
  for (const file of new Set([...Object.keys(theirs.backups), ...Object.keys(ours.backups)])) {
    const t = theirs.backups[file] ?? {};
    const o = ours.backups[file] ?? {};
    out.backups[file] = Object.fromEntries([...new Set([...Object.keys(t), ...Object.keys(o)])].map((check) => [check, later(t[check], o[check], (r) => r.at)!]));
  }
  for (const backup of new Set([...Object.keys(theirs.locations ?? {}), ...Object.keys(ours.locations ?? {})])) {
    const t = theirs.locations?.[backup] ?? {};
    const o = ours.locations?.[backup] ?? {};
    out.locations![backup] = Object.fromEntries([...new Set([...Object.keys(t), ...Object.keys(o)])].map((loc) => [loc, later(t[loc], o[loc], (r) => r.last_integrity_check.timestamp)!]));
  }
  for (const key of ourDigests) if (ours.known_digests?.[key]) out.known_digests![key] = ours.known_digests[key];
  for (const series of new Set([...Object.keys(theirs.drills ?? {}), ...Object.keys(ours.drills ?? {})])) {
    out.drills![series] = later(theirs.drills?.[series], ours.drills?.[series], (d) => d.at)!;
  }
  for (const file of new Set([...Object.keys(theirs.history ?? {}), ...Object.keys(ours.history ?? {})])) {
    const seen = new Map<string, HistoryEntry>();
    for (const h of [...(theirs.history?.[file] ?? []), ...(ours.history?.[file] ?? [])]) seen.set(`${h.at}|${h.check}`, h);
    out.history![file] = [...seen.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).slice(-HISTORY_LENGTH);
  }
  return out;
}

async function segmentFiles(stateDir: string): Promise<string[]> {
  const dir = join(stateDir, SEGMENTS);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.json')).sort().map((n) => join(dir, n));
}

/**
 * The ledger file as this process last read or wrote it. Every writer
 * replaces the file (a rename), so the same inode, size and time mean
 * nobody else has saved since.
 */
async function identityOf(file: string): Promise<string | undefined> {
  const s = await stat(file).catch(() => undefined);
  return s && `${s.ino}:${s.size}:${s.mtimeMs}`;
}

export class Ledger {
  /** the digests this process learnt: they win over what another writer saved meanwhile */
  private readonly learnt = new Set<string>();

  private constructor(
    readonly file: string,
    private data: LedgerData,
    private seen: string | undefined,
  ) {}

  /**
   * The ledger as every writer left it: ledger.json and the segments of
   * sharded runs not yet merged. `create`: make the state folder if it is
   * missing (a scan); readers leave it alone. `segment`: this run writes its
   * own file (a shard), so N runners sharing a folder never wait for each other.
   */
  static async open(stateDir: string, opts: { create?: boolean; segment?: string } = { create: true }): Promise<Ledger> {
    const main = join(stateDir, 'ledger.json');
    const file = opts.segment ? join(stateDir, SEGMENTS, `${opts.segment}.json`) : main;
    if (opts.create) {
      try {
        await mkdir(dirname(file), { recursive: true });
      } catch (err) {
        throw fsError(err, dirname(file));
      }
    }
    const seen = await identityOf(file);
    let data = (await readLedger(main)) ?? { version: 1 as const, backups: {} };
    for (const segment of await segmentFiles(stateDir)) {
      const more = await readLedger(segment);
      if (more) data = merge(data, more, new Set(Object.keys(more.known_digests ?? {})));
    }
    return new Ledger(file, data, file === main ? seen : undefined);
  }

  /**
   * Folds the segments of sharded runs into ledger.json and removes them:
   * one state for all shards. With `shards`, only once every one of the N
   * has written its segment (the last shard to finish does it); otherwise
   * says which are missing. Under the ledger's lock, so two shards ending
   * together merge once. Gives the merged ledger, as it was written.
   */
  static async mergeSegments(stateDir: string, shards?: number): Promise<{ merged: string[]; waitingFor: string[]; ledger?: Ledger }> {
    return withLock(join(stateDir, 'ledger.lock'), async () => {
      const present = await segmentFiles(stateDir);
      const names = present.map((f) => basename(f, '.json'));
      const wanted = shards ? Array.from({ length: shards }, (_, i) => shardSegment({ index: i, count: shards })) : names;
      const waitingFor = wanted.filter((w) => !names.includes(w));
      if (waitingFor.length || present.length === 0) return { merged: [], waitingFor };
      const identities = await Promise.all(present.map(identityOf));
      const all = await Ledger.open(stateDir, { create: false });
      await atomicWrite(all.file, `${JSON.stringify(all.data, null, 1)}\n`, { overwrite: true });
      // A segment rewritten since it was read (a shard still saving) stays for the next merge.
      await Promise.all(present.map(async (f, i) => ((await identityOf(f)) === identities[i] ? rm(f, { force: true }) : undefined)));
      return { merged: names, waitingFor: [], ledger: all };
    });
  }

  get(file: string, check: string): LedgerRecord | undefined {
    return this.data.backups[file]?.[check];
  }

  /** The latest record of any check for a backup. */
  latest(file: string): (LedgerRecord & { check: string }) | undefined {
    const all = Object.entries(this.data.backups[file] ?? {}).map(([check, r]) => ({ ...r, check }));
    return all.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
  }

  record(file: string, check: string, r: { status: Status | string; size: number; mtimeMs: number; detail?: string; vouched?: boolean; at?: Date }): void {
    const at = (r.at ?? new Date()).toISOString();
    (this.data.backups[file] ??= {})[check] = { at, status: r.status, size: r.size, mtime_ms: r.mtimeMs, detail: r.detail, ...(r.vouched === false ? { vouched: false } : {}) };
    this.addHistory(file, { at, check, status: r.status, detail: r.detail });
  }

  private addHistory(key: string, entry: HistoryEntry): void {
    const list = ((this.data.history ??= {})[key] ??= []);
    list.push(entry);
    if (list.length > HISTORY_LENGTH) list.splice(0, list.length - HISTORY_LENGTH);
  }

  /** A backup's checks over time, oldest first; a copy's under "LOCATION:BACKUP". */
  history(key: string): HistoryEntry[] {
    return this.data.history?.[key] ?? [];
  }

  /** The backup's one state: its worst finding not yet cleared by a check as strong, or its latest check. */
  state(file: string): BackupState | undefined {
    return stateOf(this.records(file));
  }

  /** A copy's one state: its open failure, or its latest check. */
  copyState(backup: string, location: string): BackupState | undefined {
    const c = this.data.locations?.[backup]?.[location];
    if (!c) return undefined;
    const decides = c.open_failure ?? c.last_integrity_check;
    return { status: decides.status, failing: isFailing(decides.status), check: decides.evidence ?? 'copy', at: decides.timestamp, detail: decides.errors[0] };
  }

  /** Every check kind's latest record for a backup. */
  records(file: string): Record<string, LedgerRecord> {
    return this.data.backups[file] ?? {};
  }

  /** When a check last ran on a backup (0 if never): the scan's staleness order. */
  lastVerified(file: string, check: string): number {
    const r = this.get(file, check);
    return r ? Date.parse(r.at) : 0;
  }

  /**
   * Records a copy's check. A failure stays open until a check at least as
   * strong passes (an ETag match does not clear what a full read found).
   */
  recordCopy(backup: string, location: string, check: IntegrityCheck): void {
    const copies = ((this.data.locations ??= {})[backup] ??= {});
    const open = copies[location]?.open_failure ?? (isFailing(copies[location]?.last_integrity_check.status ?? '') ? copies[location]!.last_integrity_check : undefined);
    let stillOpen: IntegrityCheck | undefined;
    if (isFailing(check.status)) stillOpen = check;
    else if (open && !(isPass(check.status) && strengthOf(check.evidence ?? 'full') >= strengthOf(open.evidence ?? 'full'))) stillOpen = open;
    const coverage = copies[location]?.coverage;
    copies[location] = { last_integrity_check: check, ...(stillOpen ? { open_failure: stillOpen } : {}), ...(coverage ? { coverage } : {}) };
    this.addHistory(`${location}:${backup}`, { at: check.timestamp, check: check.evidence ?? 'copy', status: check.status, detail: check.errors[0] });
  }

  /** A copy swapped in place by a heal, which verified it whole: that clears the failure an earlier check found. */
  recordHealed(backup: string, location: string, healed: { checkedAt: string; status: string }): void {
    this.recordCopy(backup, location, { timestamp: healed.checkedAt, status: healed.status, errors: [], evidence: 'full' });
  }

  /** The blocks of a copy read so far this sampling cycle. */
  copyCoverage(backup: string, location: string): CopyCoverage | undefined {
    return this.data.locations?.[backup]?.[location]?.coverage;
  }

  /** Kept with the copy's latest check (record that first). */
  recordCoverage(backup: string, location: string, coverage: CopyCoverage): void {
    const copy = this.data.locations?.[backup]?.[location];
    if (copy) copy.coverage = coverage;
  }

  /** A copy's failure not yet cleared by a check as strong, if any. */
  openFailure(backup: string, location: string): IntegrityCheck | undefined {
    return this.data.locations?.[backup]?.[location]?.open_failure;
  }

  copies(backup: string): Record<string, IntegrityCheck> {
    return Object.fromEntries(Object.entries(this.data.locations?.[backup] ?? {}).map(([name, v]) => [name, v.last_integrity_check]));
  }

  /** Every backup's copies and their last checks. */
  copyRecords(): [string, Record<string, IntegrityCheck>][] {
    return Object.keys(this.data.locations ?? {}).map((backup) => [backup, this.copies(backup)]);
  }

  known(backup: string): KnownDigests | undefined {
    return this.data.known_digests?.[backup];
  }

  remember(backup: string, digests: KnownDigests): void {
    (this.data.known_digests ??= {})[backup] = digests;
    this.learnt.add(backup);
  }

  /** The last drill of a series of dumps. */
  lastDrill(series: string): DrillRecord | undefined {
    return this.data.drills?.[series];
  }

  recordDrill(series: string, drill: DrillRecord): void {
    (this.data.drills ??= {})[series] = drill;
  }

  all(): [string, Record<string, LedgerRecord>][] {
    return Object.entries(this.data.backups);
  }

  /**
   * Saves under the ledger's lock, merged with what other commands saved
   * since this one read it: a scan and a `locations` run at the same time
   * both keep their records.
   */
  async save(): Promise<void> {
    this.unsaved = 0;
    this.savedAt = performance.now();
    await withLock(this.file.endsWith(`${sep}ledger.json`) ? join(dirname(this.file), 'ledger.lock') : `${this.file}.lock`, async () => {
      // Read and merged only when another writer saved since: parsing thousands of records
      // blocked the inspector's keys for a quarter of a second every few seconds of a batch.
      if ((await identityOf(this.file)) !== this.seen) {
        const onDisk = await readLedger(this.file);
        if (onDisk) this.data = merge(onDisk, this.data, this.learnt);
      }
      await atomicWrite(this.file, `${JSON.stringify(this.data, null, 1)}\n`, { overwrite: true });
      this.seen = await identityOf(this.file);
    });
  }

  private unsaved = 0;
  private savedAt = performance.now();

  /**
   * Saves after a batch of records (every 500, or every 10 s of a long run)
   * rather than after each: rewriting the whole ledger per backup made a scan
   * of 9,000 small backups quadratic. The run saves once more at its end,
   * interrupted or not, so nothing recorded is lost.
   */
  async saveBatched(): Promise<void> {
    if (++this.unsaved >= 500 || performance.now() - this.savedAt > 10_000) await this.save();
  }

  /** Saves what saveBatched has not yet written. */
  async flush(): Promise<void> {
    if (this.unsaved > 0) await this.save();
  }
}

export { acquireScanLock } from './state-lock.js';
