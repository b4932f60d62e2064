import type { CheckEvent } from '../events/types.js';
import type { Ledger } from '../schedule/ledger.js';
import { displayResult } from './references.js';
import { checkCopies, type BackupRef, type CopiesOptions, type CopiesOutcome, type CopyPlace } from './check-copies.js';

/**
 * checkCopies with the ledger, as `locations` and the inspector both run it:
 * what earlier runs learnt of the good bytes (so provider checksums can
 * vouch without a download), and each copy's outcome (its paths as `display` shows them) recorded as its
 * last_integrity_check. Saving is the caller's.
 */
export async function* checkCopiesRecorded(
  ref: BackupRef,
  places: CopyPlace[],
  ledger: Ledger,
  opts: Omit<CopiesOptions, 'known'> & { display?: (path: string) => string },
): AsyncGenerator<CheckEvent, CopiesOutcome> {
  const out = yield* checkCopies(ref, places, { ...opts, known: ledger.known(ref.key), coverage: (location) => ledger.copyCoverage(ref.key, location) });
  if (opts.display) for (const result of out.results) displayResult(result, opts.display);
  const r = out.reference;
  const checksums = Object.keys(r.checksums ?? {}).length ? r.checksums : undefined;
  if (r.sha256 && r.size !== undefined && (r.md5 || Object.keys(r.etags).length || checksums)) ledger.remember(ref.key, { size: r.size, sha256: r.sha256, md5: r.md5, etags: r.etags, checksums });
  for (const result of out.results) {
    // A deferred copy was not judged: its last check stands, and stays the stalest.
    if (!result.copy || result.status === 'deferred') continue;
    const errors = result.findings.filter((f) => f.severity === 'error').map((f) => f.message);
    ledger.recordCopy(ref.key, result.copy.location, { timestamp: result.checkedAt, status: result.status, errors, evidence: result.copy.evidence, bytes_read: result.copy.bytesRead, where: result.file, ...(result.copy.lock ? { lock: result.copy.lock.problem ?? 'ok' } : {}) });
    const coverage = out.coverage[result.copy.location];
    if (coverage) ledger.recordCoverage(ref.key, result.copy.location, coverage);
  }
  return out;
}
