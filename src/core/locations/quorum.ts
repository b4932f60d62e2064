import type { CheckResult } from '../events/types.js';

/**
 * With three or more copies, the majority tells which copy is bad even
 * where no manifest can: copies are compared by what is known of each
 * (digests of a full read, an ETag that is an MD5, multipart ETags
 * recomputed from a read, the size).
 */

export interface CopyFacts {
  result: CheckResult;
  etag?: string;
  sha256?: string;
  md5?: string;
  /** part size → multipart ETag recomputed from this copy's bytes */
  etags?: Record<string, string>;
}

type Prints = Map<string, string>;

function printsOf(c: CopyFacts): Prints {
  const p: Prints = new Map();
  if (c.result.size !== undefined) p.set('size', String(c.result.size));
  if (c.sha256) p.set('sha256', c.sha256);
  if (c.md5) p.set('md5', c.md5);
  const etag = c.etag?.toLowerCase();
  if (etag && /^[0-9a-f]{32}$/.test(etag)) p.set('md5', p.get('md5') ?? etag);
  else if (etag) p.set(`etag:${etag}`, 'stored');
  for (const e of Object.values(c.etags ?? {})) p.set(`etag:${e}`, 'computed');
  return p;
}

/** Same bytes: a shared digest (or multipart ETag) with equal values, and no digest that differs. */
function relation(a: Prints, b: Prints): 'same' | 'different' | 'unknown' {
  if (a.get('size') !== b.get('size')) return 'different';
  let same = false;
  for (const kind of ['sha256', 'md5']) {
    const x = a.get(kind);
    const y = b.get(kind);
    if (x && y) {
      if (x !== y) return 'different';
      same = true;
    }
  }
  for (const key of a.keys()) if (key.startsWith('etag:') && b.has(key)) same = true;
  return same ? 'same' : 'unknown';
}

/**
 * Marks each copy as siding with the majority or not. Where no manifest
 * could judge (no_manifest), the majority decides: its copies are verified,
 * the others a mismatch. Returns the number of copies in the majority.
 */
export function applyQuorum(copies: CopyFacts[]): number {
  const voters = copies.filter((c) => c.result.size !== undefined && c.result.status !== 'error' && c.result.status !== 'missing');
  if (voters.length < 3) return 0;
  const prints = voters.map(printsOf);
  // Groups of copies known to hold the same bytes (union by "same").
  const group = voters.map((_, i) => i);
  const root = (i: number): number => (group[i] === i ? i : (group[i] = root(group[i]!)));
  for (let i = 0; i < voters.length; i++) for (let j = i + 1; j < voters.length; j++) if (relation(prints[i]!, prints[j]!) === 'same') group[root(j)] = root(i);
  const sizes = new Map<number, number>();
  voters.forEach((_, i) => sizes.set(root(i), (sizes.get(root(i)) ?? 0) + 1));
  const [leader, count] = [...sizes].sort((a, b) => b[1] - a[1])[0]!;
  if (count * 2 <= voters.length) {
    for (const c of voters) if (c.result.copy) c.result.copy.quorum = 'none';
    return 0;
  }
  voters.forEach((c, i) => {
    const inMajority = root(i) === leader;
    // A copy outside the majority is outvoted only if it provably differs from it.
    const differs = !inMajority && voters.some((_, j) => root(j) === leader && relation(prints[i]!, prints[j]!) === 'different');
    if (c.result.copy) c.result.copy.quorum = inMajority ? 'majority' : differs ? 'minority' : 'none';
    const tally = `${count} of ${voters.length} copies hold the same bytes`;
    if (c.result.status === 'no_manifest' && (inMajority || differs)) {
      c.result.status = inMajority ? 'verified' : 'hash_mismatch';
      c.result.findings = c.result.findings.filter((f) => f.severity !== 'error');
      c.result.findings.push({ severity: inMajority ? 'info' : 'error', message: inMajority ? `no manifest: judged by quorum, ${tally} as this one` : `outvoted: differs from the ${count} of ${voters.length} copies that agree` });
    } else if (differs && c.result.status === 'verified') {
      c.result.findings.push({ severity: 'warning', message: `this copy matches the manifest, yet differs from the ${count} of ${voters.length} copies that agree: check that the manifest is genuine (keygen, manifest --sign, --trust)` });
    } else if (inMajority || differs) {
      c.result.findings.push({ severity: 'info', message: inMajority ? `${tally} as this one` : `differs from the ${count} of ${voters.length} copies that agree` });
    }
  });
  return count;
}
