import { isIntegrityFailure, type CheckResult, type Status } from '../events/types.js';

/**
 * How much a check proves, weakest first: a size, a store's ETag or
 * checksum, sampled blocks, every byte hashed, every member read, a restore.
 * A failure is cleared only by a later check at least as strong: an hourly
 * size check never erases what the daily hash found.
 */
const STRENGTH: Record<string, number> = {
  quick: 0,
  size: 0,
  none: 0,
  etag: 1,
  'checksum-sha256': 1,
  'checksum-sha1': 1,
  'checksum-crc64nvme': 1,
  'checksum-crc32c': 1,
  'checksum-crc32': 1,
  sample: 2,
  // The store recomputed the whole object's checksum over the stored bytes, on the report's date.
  'at-rest': 2,
  hash: 3,
  blocks: 3,
  full: 3,
  deep: 4,
  restore: 5,
  drill: 6,
};

export function strengthOf(check: string): number {
  return STRENGTH[check] ?? 0;
}

/**
 * What a check compares the backup with: its manifests (size, digests,
 * block map) or its own contents (every member read, a restore). A pass
 * clears only what a check of its own kind found: an archive that reads
 * to its end may still not be the one the manifest describes, and bytes
 * that match the manifest may still be an archive that was damaged
 * before the manifest was written.
 */
export function evidenceOf(check: string): 'manifest' | 'contents' {
  return check === 'deep' || check === 'restore' || check === 'drill' ? 'contents' : 'manifest';
}

/** Whether a pass of `pass` clears a failure `failure` found (a missing backup is back once any check finds it). */
export function clears(pass: string, failure: { check: string; status: string }): boolean {
  if (failure.status === 'missing') return true;
  return evidenceOf(pass) === evidenceOf(failure.check) && strengthOf(pass) >= strengthOf(failure.check);
}

export function isFailing(status: string): boolean {
  return isIntegrityFailure(status as Status);
}

export function isPass(status: string): boolean {
  return status === 'verified' || status === 'manifest_created';
}

export interface CheckRecord {
  at: string;
  status: string;
  detail?: string;
  /** false for a pass nothing vouched for: read to its end, no checksum over the bytes */
  vouched?: boolean;
}

/**
 * A folder's results file, weighed as a check of unknown strength: another
 * tool may have written it, and its "verified" cannot clear what a check of
 * ours found.
 */
export const RESULTS_FILE_CHECK = 'results file';

/** A backup's one state: the worst finding not yet cleared, or its latest check. */
export interface BackupState {
  status: string;
  failing: boolean;
  /** the check that found it, and when */
  check: string;
  at: string;
  detail?: string;
  vouched?: boolean;
  /** the latest check of any kind, when it is not the one that decides */
  latest?: { check: string; at: string; status: string };
}

/**
 * The state of a backup from the latest record of each check kind: a
 * failure stands until a later pass of a check of its kind at least as
 * strong; with none standing, the latest record says it. A `missing`
 * backup is cleared by any check that finds the file again.
 */
export function stateOf(records: Record<string, CheckRecord>): BackupState | undefined {
  const all = Object.entries(records).map(([check, r]) => ({ check, ...r }));
  if (all.length === 0) return undefined;
  const latest = all.reduce((a, b) => (Date.parse(b.at) > Date.parse(a.at) ? b : a));
  const standing = all.filter(
    (f) =>
      isFailing(f.status) &&
      !all.some((p) => isPass(p.status) && Date.parse(p.at) > Date.parse(f.at) && clears(p.check, f)),
  );
  if (standing.length === 0) return { status: latest.status, failing: false, check: latest.check, at: latest.at, detail: latest.detail, ...(latest.vouched === false ? { vouched: false } : {}) };
  // The strongest evidence of damage decides (the most recent among equals).
  const worst = standing.reduce((a, b) => (strengthOf(b.check) > strengthOf(a.check) || (strengthOf(b.check) === strengthOf(a.check) && Date.parse(b.at) > Date.parse(a.at)) ? b : a));
  return {
    status: worst.status,
    failing: true,
    check: worst.check,
    at: worst.at,
    detail: worst.detail,
    ...(latest !== worst ? { latest: { check: latest.check, at: latest.at, status: latest.status } } : {}),
  };
}

/**
 * A check's result, said in the light of the backup's state: a pass that is
 * too weak to clear a standing failure does not read "verified". The result
 * takes the standing status, with a finding that says what found it, when,
 * and why this check does not clear it. (The ledger keeps what the check
 * itself said.)
 */
export function inLightOf(result: CheckResult, state: BackupState | undefined): void {
  if (!state?.failing || isFailing(result.status)) return;
  result.findings.unshift({
    severity: 'error',
    message: `still ${state.status.replace(/_/g, ' ')}: found by the ${state.check} check at ${state.at}${state.detail ? ` (${state.detail})` : ''}; this check (${result.status.replace(/_/g, ' ')}) ${result.checks.some((c) => evidenceOf(c) === evidenceOf(state.check)) ? 'is not strong enough to clear it' : `does not compare what the ${state.check} check compares`}`,
  });
  result.status = state.status as Status;
}
