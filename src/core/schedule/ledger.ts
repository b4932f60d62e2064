import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ManifestError, RestorableError, fsError, isFsError } from '../errors.js';
import type { Status } from '../events/types.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import { fieldPath, parseJsonFile } from '../manifest/safe-json.js';

/**
 * The verification ledger: for every backup and check, when it was last
 * verified and what came out. Scans pick the stalest first, so repeated
 * budgeted runs cover everything. It lives in a state folder of its own,
 * never inside the (possibly read-only) backup folders.
 */

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
});
/** The outcome of the last `locations` check of one copy. */
const integrityCheck = z.object({ timestamp: z.string(), status: z.string(), errors: z.array(z.string()) });
/** What is known of a backup's good bytes beyond its manifest (learnt from a verified read). */
const knownDigests = z.object({ size: z.number().nonnegative(), sha256: z.string(), md5: z.string().optional(), etags: z.record(z.string()) });
const ledgerSchema = z.object({
  version: z.literal(1),
  backups: z.record(z.record(record)),
  /** backup name → location name → its last integrity check */
  locations: z.record(z.record(z.object({ last_integrity_check: integrityCheck }))).optional(),
  known_digests: z.record(knownDigests).optional(),
});

export type LedgerRecord = z.infer<typeof record>;
export type IntegrityCheck = z.infer<typeof integrityCheck>;
export type KnownDigests = z.infer<typeof knownDigests>;

export class Ledger {
  private constructor(
    readonly file: string,
    private readonly data: z.infer<typeof ledgerSchema>,
  ) {}

  /** `create`: make the state folder if it is missing (a scan); readers leave it alone. */
  static async open(stateDir: string, opts: { create?: boolean } = { create: true }): Promise<Ledger> {
    const file = join(stateDir, 'ledger.json');
    if (opts.create) {
      try {
        await mkdir(stateDir, { recursive: true });
      } catch (err) {
        throw fsError(err, stateDir);
      }
    }
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (!isFsError(err, 'ENOENT')) throw fsError(err, file);
    }
    if (text === undefined) return new Ledger(file, { version: 1, backups: {} });
    const parsed = ledgerSchema.safeParse(parseJsonFile(file, text));
    if (!parsed.success) throw new ManifestError(file, fieldPath(parsed.error.issues[0]!.path), parsed.error.issues[0]!.message);
    return new Ledger(file, parsed.data);
  }

  get(file: string, check: string): LedgerRecord | undefined {
    return this.data.backups[file]?.[check];
  }

  /** The latest record of any check for a backup. */
  latest(file: string): (LedgerRecord & { check: string }) | undefined {
    const all = Object.entries(this.data.backups[file] ?? {}).map(([check, r]) => ({ ...r, check }));
    return all.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
  }

  record(file: string, check: string, r: { status: Status | string; size: number; mtimeMs: number; detail?: string; at?: Date }): void {
    (this.data.backups[file] ??= {})[check] = { at: (r.at ?? new Date()).toISOString(), status: r.status, size: r.size, mtime_ms: r.mtimeMs, detail: r.detail };
  }

  /** When a check last ran on a backup (0 if never): the scan's staleness order. */
  lastVerified(file: string, check: string): number {
    const r = this.get(file, check);
    return r ? Date.parse(r.at) : 0;
  }

  recordCopy(backup: string, location: string, check: IntegrityCheck): void {
    ((this.data.locations ??= {})[backup] ??= {})[location] = { last_integrity_check: check };
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
  }

  all(): [string, Record<string, LedgerRecord>][] {
    return Object.entries(this.data.backups);
  }

  async save(): Promise<void> {
    this.unsaved = 0;
    this.savedAt = performance.now();
    await atomicWrite(this.file, `${JSON.stringify(this.data, null, 1)}\n`, { overwrite: true });
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

/**
 * One scan at a time per state folder: a lock file holding our pid. A lock
 * left by a process that no longer exists is taken over.
 */
export async function acquireScanLock(stateDir: string): Promise<() => Promise<void>> {
  const path = join(stateDir, 'scan.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(path, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      return async () => void (await unlink(path).catch(() => {}));
    } catch (err) {
      if (!isFsError(err, 'EEXIST')) throw fsError(err, path);
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      let alive = false;
      try {
        if (pid > 0) process.kill(pid, 0);
        alive = pid > 0;
      } catch {
        alive = false;
      }
      if (alive) throw new RestorableError(`${path}: another scan is running (pid ${pid}); not starting a second one`);
      await unlink(path).catch(() => {});
    }
  }
  throw new RestorableError(`${path}: could not take the scan lock`);
}
