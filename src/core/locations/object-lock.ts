import type { ObjectInfo } from '../storage/location.js';

/**
 * Immutability evidence: where a location should hold copies nobody can
 * delete or overwrite (S3 Object Lock), each copy's retention is read from
 * the same HEAD that sizes it and held to the location's policy. A copy
 * that falls short is a finding of its own (alerted and exported), not an
 * integrity failure: its bytes may be perfectly good.
 */

/** `object_lock: { mode: compliance, min_days: 30 }` in a location's config entry. */
export interface LockPolicy {
  /** compliance: nobody can shorten it; governance is not enough. Unset: either mode will do. */
  mode?: 'compliance' | 'governance';
  /** the retention must last at least this many more days */
  minDays: number;
}

/** What a copy's lock is, and what falls short of the policy. */
export interface CopyLock {
  mode?: string;
  retainUntil?: string;
  legalHold: boolean;
  /** whole days until the retention ends (negative once it has) */
  daysLeft?: number;
  /** undefined when the copy meets the policy */
  problem?: string;
}

const DAY_MS = 86_400_000;

export function judgeLock(lock: ObjectInfo['lock'], policy: LockPolicy, now: Date): CopyLock {
  const mode = lock?.mode?.toUpperCase();
  const until = lock?.retainUntil;
  const legalHold = lock?.legalHold === true;
  const daysLeft = until ? Math.floor((until.getTime() - now.getTime()) / DAY_MS) : undefined;
  const out: CopyLock = { mode, retainUntil: until?.toISOString(), legalHold, daysLeft };
  const retained = mode && until && until.getTime() > now.getTime();
  if (!retained) {
    out.problem = legalHold
      ? `under a legal hold only, with no retention: anyone allowed to lift the hold can then delete it (${policyText(policy)} required)`
      : mode && until
        ? `its ${mode.toLowerCase()} retention ended on ${until.toISOString().slice(0, 10)}: it can be deleted or overwritten (${policyText(policy)} required)`
        : `not locked: it can be deleted or overwritten (${policyText(policy)} required)`;
  } else if (policy.mode === 'compliance' && mode !== 'COMPLIANCE') {
    out.problem = `locked in ${mode.toLowerCase()} mode: anyone with s3:BypassGovernanceRetention can delete it (compliance mode required)`;
  } else if (daysLeft! < policy.minDays) {
    out.problem = `its ${mode.toLowerCase()} retention ends on ${until.toISOString().slice(0, 10)}, in ${daysLeft} ${daysLeft === 1 ? 'day' : 'days'} (at least ${policy.minDays} required)`;
  }
  return out;
}

function policyText(p: LockPolicy): string {
  return `${p.mode ? `${p.mode} mode, ` : ''}at least ${p.minDays} ${p.minDays === 1 ? 'day' : 'days'}`;
}

/** How the report states a lock that meets its policy. */
export function lockText(l: CopyLock): string {
  if (l.problem) return `object lock: ${l.problem}`;
  return `object lock: ${l.mode!.toLowerCase()} until ${l.retainUntil!.slice(0, 10)} (${l.daysLeft} days left)${l.legalHold ? ', and a legal hold' : ''}`;
}
