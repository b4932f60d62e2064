import { Gauge, Registry } from 'prom-client';
import { isIntegrityFailure, type CheckResult } from '../events/types.js';
import type { Ledger } from '../schedule/ledger.js';
import { coveredShare } from '../locations/coverage.js';

/**
 * Which storage locations this run could read: a location is down when
 * every copy it was asked for failed to be read ('error': no answer, access
 * denied); one copy read is enough to call it up. Keyed by location name,
 * with the first error as the reason.
 */
export function locationReach(results: CheckResult[]): Map<string, { up: boolean; reason?: string }> {
  const reach = new Map<string, { up: boolean; reason?: string }>();
  for (const r of results) {
    if (!r.copy) continue;
    const was = reach.get(r.copy.location);
    const up = r.status !== 'error';
    if (!was) reach.set(r.copy.location, { up, reason: up ? undefined : r.findings.find((f) => f.severity === 'error')?.message });
    else if (up) reach.set(r.copy.location, { up: true });
  }
  return reach;
}

/**
 * Prometheus metrics of `locations`: one series per copy (backup ×
 * location) from the ledger, so a run that checked a few backups still
 * reports every copy it ever checked, and what this run read.
 */
export function locationMetrics(ledger: Ledger, results: CheckResult[], durationSeconds: number, now = Date.now()): Registry {
  const registry = new Registry();
  const labelNames = ['backup', 'location'] as const;
  const ok = new Gauge({ name: 'restorable_copy_ok', help: 'Whether the state of this copy is intact (1) or not (0).', labelNames, registers: [registry] });
  const damaged = new Gauge({ name: 'restorable_copy_damaged', help: 'Whether the state of this copy is damaged, missing or tampered with (1): a failure no check as strong has cleared.', labelNames, registers: [registry] });
  const covered = new Gauge({ name: 'restorable_copy_blocks_read_ratio', help: 'Share of this copy\'s blocks read and found good in its current sampling cycle (carried from run to run).', labelNames, registers: [registry] });
  const when = new Gauge({ name: 'restorable_copy_last_check_timestamp_seconds', help: 'When this copy was last checked (Unix time).', labelNames, registers: [registry] });
  let failing = 0;
  for (const [backup, copies] of ledger.copyRecords()) {
    for (const [location, check] of Object.entries(copies)) {
      // The copy's one state: a failure stands until a check as strong clears it.
      const state = ledger.copyState(backup, location)!;
      const bad = isIntegrityFailure(state.status as CheckResult['status']);
      failing += bad ? 1 : 0;
      ok.set({ backup, location }, state.status === 'verified' ? 1 : 0);
      damaged.set({ backup, location }, bad ? 1 : 0);
      when.set({ backup, location }, Date.parse(check.timestamp) / 1000);
      const coverage = ledger.copyCoverage(backup, location);
      if (coverage) covered.set({ backup, location }, coveredShare(coverage));
    }
  }
  const up = new Gauge({ name: 'restorable_location_up', help: 'Whether the last locations run could read this storage location (1) or not (0).', labelNames: ['location'], registers: [registry] });
  for (const [location, r] of locationReach(results)) up.set({ location }, r.up ? 1 : 0);
  new Gauge({ name: 'restorable_copies_failing', help: 'Copies whose last check found them damaged, missing or tampered with.', registers: [registry] }).set(failing);
  const read = results.reduce((n, r) => n + (r.copy?.bytesRead ?? 0), 0);
  new Gauge({ name: 'restorable_locations_read_bytes', help: 'Bytes of copies the last locations run read (downloads included).', registers: [registry] }).set(read);
  const locked = new Gauge({ name: 'restorable_copy_lock_ok', help: 'Whether this copy has the Object Lock its location\'s policy asks for (1) or falls short (0): unlocked, governance instead of compliance, or expiring too soon.', labelNames, registers: [registry] });
  const lockDays = new Gauge({ name: 'restorable_copy_lock_days_left', help: 'Days until this copy\'s Object Lock retention ends.', labelNames, registers: [registry] });
  for (const r of results) {
    const lock = r.copy?.lock;
    if (!lock) continue;
    const labels = { backup: r.copy!.backup, location: r.copy!.location };
    locked.set(labels, lock.problem ? 0 : 1);
    if (lock.daysLeft !== undefined) lockDays.set(labels, lock.daysLeft);
  }
  new Gauge({ name: 'restorable_locations_deferred_copies', help: 'Copies the last locations run left unread: their reads did not fit in the egress budget.', registers: [registry] }).set(results.filter((r) => r.status === 'deferred').length);
  new Gauge({ name: 'restorable_locations_duration_seconds', help: 'How long the last locations run took.', registers: [registry] }).set(durationSeconds);
  new Gauge({ name: 'restorable_locations_last_run_timestamp_seconds', help: 'When a locations run last ended (Unix time).', registers: [registry] }).set(now / 1000);
  return registry;
}
