import { Gauge, Registry } from 'prom-client';
import { isIntegrityFailure, type CheckResult } from '../events/types.js';
import type { Ledger } from '../schedule/ledger.js';

/**
 * Prometheus metrics of `locations`: one series per copy (backup ×
 * location) from the ledger, so a run that checked a few backups still
 * reports every copy it ever checked, and what this run read.
 */
export function locationMetrics(ledger: Ledger, results: CheckResult[], durationSeconds: number, now = Date.now()): Registry {
  const registry = new Registry();
  const labelNames = ['backup', 'location'] as const;
  const ok = new Gauge({ name: 'restorable_copy_ok', help: 'Whether the last check of this copy found it intact (1) or not (0).', labelNames, registers: [registry] });
  const damaged = new Gauge({ name: 'restorable_copy_damaged', help: 'Whether the last check of this copy found it damaged, missing or tampered with (1).', labelNames, registers: [registry] });
  const when = new Gauge({ name: 'restorable_copy_last_check_timestamp_seconds', help: 'When this copy was last checked (Unix time).', labelNames, registers: [registry] });
  let failing = 0;
  for (const [backup, copies] of ledger.copyRecords()) {
    for (const [location, check] of Object.entries(copies)) {
      const bad = isIntegrityFailure(check.status as CheckResult['status']);
      failing += bad ? 1 : 0;
      ok.set({ backup, location }, check.status === 'verified' ? 1 : 0);
      damaged.set({ backup, location }, bad ? 1 : 0);
      when.set({ backup, location }, Date.parse(check.timestamp) / 1000);
    }
  }
  new Gauge({ name: 'restorable_copies_failing', help: 'Copies whose last check found them damaged, missing or tampered with.', registers: [registry] }).set(failing);
  const read = results.reduce((n, r) => n + (r.copy?.bytesRead ?? 0), 0);
  new Gauge({ name: 'restorable_locations_bytes_read', help: 'Bytes of copies the last locations run read (downloads included).', registers: [registry] }).set(read);
  new Gauge({ name: 'restorable_locations_duration_seconds', help: 'How long the last locations run took.', registers: [registry] }).set(durationSeconds);
  new Gauge({ name: 'restorable_locations_last_run_timestamp_seconds', help: 'When a locations run last ended (Unix time).', registers: [registry] }).set(now / 1000);
  return registry;
}
