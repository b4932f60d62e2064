import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Counter, Gauge, Pushgateway, Registry } from 'prom-client';
import { RestorableError } from '../errors.js';
import { isCheckFailure, isIntegrityFailure, type CheckResult } from '../events/types.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import type { Ledger } from '../schedule/ledger.js';
import type { Candidate } from '../schedule/select.js';

/**
 * Prometheus metrics of a scan. Counters are kept across runs in the state
 * folder (metrics-totals.json), so they only ever grow and rate() over them
 * means something even when each run writes a fresh textfile.
 */

interface Totals {
  checks: Record<string, number>; // "check|status" → count
  failed: Record<string, number>; // check → count
  bytes: Record<string, number>; // check → bytes
}

async function loadTotals(stateDir: string): Promise<Totals> {
  const text = await readFile(join(stateDir, 'metrics-totals.json'), 'utf8').catch(() => undefined);
  const empty: Totals = { checks: {}, failed: {}, bytes: {} };
  if (!text) return empty;
  try {
    const t = JSON.parse(text) as Totals;
    return { checks: t.checks ?? {}, failed: t.failed ?? {}, bytes: t.bytes ?? {} };
  } catch {
    return empty; // a damaged totals file restarts the counters, which Prometheus handles as a reset
  }
}

export interface ScanMetricsInput {
  stateDir: string;
  tier: string;
  check: string;
  results: CheckResult[];
  candidates: Candidate[];
  ledger: Ledger;
  durationSeconds: number;
  /** the tier's period, when it has one */
  periodHours?: number;
  /** backups (and copies) whose failure someone acknowledged */
  acknowledged?: Set<string>;
  now?: number;
  /** the window of the coverage ratio, in days */
  windowDays?: number;
}

export async function scanMetrics(input: ScanMetricsInput): Promise<Registry> {
  const now = input.now ?? Date.now();
  const windowDays = input.windowDays ?? 7;
  const totals = await loadTotals(input.stateDir);
  for (const r of input.results) {
    const key = `${input.check}|${r.status}`;
    totals.checks[key] = (totals.checks[key] ?? 0) + 1;
    if (isIntegrityFailure(r.status) || isCheckFailure(r.status)) totals.failed[input.check] = (totals.failed[input.check] ?? 0) + 1;
    // Bytes count only when they were read and found good: a size check reads none.
    if (input.check !== 'quick' && r.status === 'verified') totals.bytes[input.check] = (totals.bytes[input.check] ?? 0) + (r.size ?? 0);
  }
  await atomicWrite(join(input.stateDir, 'metrics-totals.json'), `${JSON.stringify(totals)}\n`, { overwrite: true });

  const registry = new Registry();
  // Every series names its tier: two tiers' textfiles side by side never collide in node_exporter.
  registry.setDefaultLabels({ tier: input.tier });
  const checks = new Counter({ name: 'restorable_checks_total', help: 'Checks run, by kind of check and outcome.', labelNames: ['check', 'status'], registers: [registry] });
  for (const [key, n] of Object.entries(totals.checks)) {
    const [check, status] = key.split('|');
    checks.inc({ check, status }, n);
  }
  const failed = new Counter({ name: 'restorable_checks_failed_total', help: 'Checks that found a problem or could not check.', labelNames: ['check'], registers: [registry] });
  // Present from the first run, at 0: increase() then sees the first failure.
  failed.inc({ check: input.check }, 0);
  for (const [check, n] of Object.entries(totals.failed)) failed.inc({ check }, n);
  const bytes = new Counter({ name: 'restorable_verified_bytes_total', help: 'Bytes of backups read and found good.', labelNames: ['check'], registers: [registry] });
  bytes.inc({ check: input.check }, 0);
  for (const [check, n] of Object.entries(totals.bytes)) bytes.inc({ check }, n);

  new Gauge({ name: 'restorable_scan_duration_seconds', help: 'How long the last scan of this tier took.', labelNames: ['tier'], registers: [registry] }).set({ tier: input.tier }, input.durationSeconds);
  new Gauge({ name: 'restorable_last_scan_timestamp_seconds', help: 'When a scan of this tier last ended (Unix time).', labelNames: ['tier'], registers: [registry] }).set({ tier: input.tier }, now / 1000);

  // One label form in every family: the backup's name in its folder, and the folder (copies: the name in the location, and the location).
  const where = (file: string) => ({ folder: dirname(file), backup: basename(file) });
  const lastVerified = new Gauge({ name: 'restorable_last_verification_timestamp_seconds', help: 'When each backup was last checked by any check (Unix time).', labelNames: ['folder', 'backup'], registers: [registry] });
  // One series per backup, from the ledger's one state (a failure stands until a check as strong
  // clears it), so an alert can name the backup; vanished backups are in it too.
  const backupFailing = new Gauge({ name: 'restorable_backup_failing', help: "1 while the backup's state is an integrity failure not yet cleared by a check as strong, else 0; acknowledged: someone ran restorable ack.", labelNames: ['folder', 'backup', 'status', 'acknowledged'], registers: [registry] });
  // The recovery time to plan with: how long each test restore of this run took.
  const restoreSeconds = new Gauge({ name: 'restorable_restore_duration_seconds', help: 'How long the last test restore of each backup took.', labelNames: ['folder', 'backup'], registers: [registry] });
  for (const r of input.results) if (r.restore) restoreSeconds.set(where(r.file), r.restore.seconds);
  drillMetrics(registry, input.results, where);
  const lastSuccess = new Gauge({ name: 'restorable_last_success_timestamp_seconds', help: 'When each backup last passed a check (Unix time).', labelNames: ['folder', 'backup'], registers: [registry] });
  if (input.periodHours) new Gauge({ name: 'restorable_tier_period_seconds', help: 'How often this tier runs: a backup not verified within two periods is alerted.', registers: [registry] }).set(input.periodHours * 3600);
  let oldestUnverified = 0;
  let covered = 0;
  let failing = 0;
  for (const c of input.candidates) {
    const latest = input.ledger.latest(c.file);
    const at = latest ? Date.parse(latest.at) : 0;
    if (at) lastVerified.set(where(c.file), at / 1000);
    oldestUnverified = Math.max(oldestUnverified, (now - (at || c.mtimeMs)) / 1000);
    if (at && now - at <= windowDays * 86_400_000) covered++;
  }
  const present = new Set(input.candidates.map((c) => c.file));
  for (const file of new Set([...present, ...input.results.filter((r) => r.status === 'missing').map((r) => r.file)])) {
    const state = input.ledger.state(file);
    if (!state) continue;
    backupFailing.set({ ...where(file), status: state.failing ? state.status : 'ok', acknowledged: String(input.acknowledged?.has(file) ?? false) }, state.failing ? 1 : 0);
    const passes = Object.values(input.ledger.records(file)).filter((r) => r.status === 'verified').map((r) => Date.parse(r.at));
    if (passes.length) lastSuccess.set(where(file), Math.max(...passes) / 1000);
    if (state.failing) failing++;
  }
  new Gauge({ name: 'restorable_oldest_unverified_seconds', help: 'Seconds since the least recently checked backup was checked (or written, if never checked).', registers: [registry] }).set(oldestUnverified);
  new Gauge({ name: 'restorable_coverage_ratio', help: 'Fraction of backups checked within the window.', labelNames: ['window'], registers: [registry] }).set({ window: `${windowDays}d` }, input.candidates.length ? covered / input.candidates.length : 1);
  new Gauge({ name: 'restorable_backups_failing', help: 'Backups whose state is an integrity failure (a finding no check as strong has cleared, or missing).', registers: [registry] }).set(failing);
  new Gauge({ name: 'restorable_backups', help: 'Backups found by the scan patterns.', registers: [registry] }).set(input.candidates.length);
  return registry;
}

/**
 * What each restore drill of this run proved: whether it passed (1) or
 * found the dump damaged or short of rows (0), how long the restore took
 * (the recovery time to plan with), and every table's rows, so that a
 * table that shrinks can be graphed and alerted on. A drill that could not
 * run (no server programs, no room) sets no success series: it proved
 * nothing either way, and restorable_checks_failed_total counts it.
 */
function drillMetrics(registry: Registry, results: CheckResult[], where: (file: string) => { folder: string; backup: string }): void {
  const drilled = results.filter((r) => r.drill);
  if (!drilled.length) return;
  const success = new Gauge({ name: 'restorable_drill_success', help: 'Whether the last restore drill of each dump passed (1) or failed (0).', labelNames: ['folder', 'backup'], registers: [registry] });
  const seconds = new Gauge({ name: 'restorable_drill_duration_seconds', help: 'How long the restore of the last drill of each dump took (the recovery time to plan with).', labelNames: ['folder', 'backup'], registers: [registry] });
  const rows = new Gauge({ name: 'restorable_drill_rows', help: 'Rows of each table in the last drill of each dump.', labelNames: ['folder', 'backup', 'table'], registers: [registry] });
  for (const r of drilled) {
    success.set(where(r.file), r.status === 'verified' ? 1 : 0);
    seconds.set(where(r.file), r.drill!.restoreSeconds);
    for (const t of r.drill!.tables) rows.set({ ...where(r.file), table: t.table }, t.rows);
  }
}

/** For node_exporter's textfile collector: written atomically, so it never reads half a file. */
export async function writeMetricsFile(path: string, registry: Registry): Promise<void> {
  await atomicWrite(path, await registry.metrics(), { overwrite: true });
}

/** Pushes to a Pushgateway (job "restorable", grouped by tier). */
export async function pushMetrics(url: string, registry: Registry, tier: string): Promise<void> {
  const gateway = new Pushgateway(url, { timeout: 10_000 }, registry);
  try {
    await gateway.pushAdd({ jobName: 'restorable', groupings: { tier } });
  } catch (err) {
    throw new RestorableError(`pushgateway ${redactUrl(url)}: ${(err as Error).message}`);
  }
}

/** A URL without its user name and password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '(an invalid URL)';
  }
}
