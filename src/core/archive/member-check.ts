import type { Finding } from '../events/types.js';
import type { ContentIndex } from './contents.js';
import type { ArchiveEntry } from './tar-member.js';

/** Each member the archive gave, judged against the content index made when the backup was good. */
export interface MemberVerdict {
  /** files whose bytes differ from the index: the damage, by name */
  damaged: { path: string; why: string }[];
  /** in the index, absent from an archive that was read to its end */
  missing: string[];
  /** in the index, after the point where reading stopped: lost with the rest of the stream */
  notReached: string[];
  /** files in the archive the index does not list */
  unlisted: string[];
  /** files whose size and sha256 the index vouches for */
  intact: number;
}

/** The last entry of each name wins, as it does when tar extracts. */
function lastOfEach<T extends { path: string }>(items: T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) out.set(item.path, item);
  return out;
}

/**
 * Compares what was read (each member with the facts found while reading
 * it) with the content index. `stoppedAt`: the member reading stopped in,
 * when it stopped early; it and every indexed file not yet read are lost.
 */
export function judgeMembers(index: ContentIndex, read: ArchiveEntry[], stopped: { member?: string } | undefined): MemberVerdict {
  const verdict: MemberVerdict = { damaged: [], missing: [], notReached: [], unlisted: [], intact: 0 };
  const expected = lastOfEach(index.members.filter((m) => m.type === 'file'));
  const got = lastOfEach(read.filter((e) => e.type === 'file' && e.facts));
  for (const [path, entry] of got) {
    const want = expected.get(path);
    const facts = entry.facts!;
    if (!want) verdict.unlisted.push(path);
    else if (facts.bytes !== want.size) verdict.damaged.push({ path, why: `${facts.bytes} bytes, the content index says ${want.size}` });
    else if (want.sha256 && facts.sha256 && facts.sha256 !== want.sha256) verdict.damaged.push({ path, why: 'its content differs from the content index (sha256)' });
    else if (want.sha256 && facts.sha256) verdict.intact++;
  }
  if (stopped?.member && expected.has(stopped.member) && !got.has(stopped.member)) verdict.damaged.push({ path: stopped.member, why: 'reading stopped inside it' });
  for (const path of expected.keys()) {
    if (got.has(path) || path === stopped?.member) continue;
    (stopped ? verdict.notReached : verdict.missing).push(path);
  }
  return verdict;
}

function list(names: string[], max = 5): string {
  return `${names.slice(0, max).join(', ')}${names.length > max ? `, and ${names.length - max} more` : ''}`;
}

/** The verdict as findings: each damaged member by name (the first 20), the rest counted. */
export function memberFindings(v: MemberVerdict): Finding[] {
  const out: Finding[] = [];
  for (const d of v.damaged.slice(0, 20)) out.push({ severity: 'error', message: `${d.path}: ${d.why}`, member: d.path });
  if (v.damaged.length > 20) out.push({ severity: 'error', message: `and ${v.damaged.length - 20} more damaged members` });
  if (v.missing.length) out.push({ severity: 'error', message: `${v.missing.length} files of the content index are not in the archive: ${list(v.missing)}` });
  if (v.notReached.length) out.push({ severity: 'error', message: `${v.notReached.length} files of the content index were not reached: reading stopped before them: ${list(v.notReached)}` });
  if (v.unlisted.length) out.push({ severity: 'warning', message: `${v.unlisted.length} files are not in the content index: ${list(v.unlisted)}` });
  out.push({ severity: 'info', message: `${v.intact} files match the content index (size and sha256)` });
  return out;
}
