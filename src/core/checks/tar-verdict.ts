import type { ContentIndex } from '../archive/contents.js';
import type { Compression } from '../archive/detect.js';
import { judgeMembers, memberFindings, type MemberVerdict } from '../archive/member-check.js';
import type { ArchiveEntry } from '../archive/tar-member.js';
import type { ReadSummary } from '../archive/tar-reader.js';
import type { ArchiveReport, Finding, SalvagePast, SalvageReport } from '../events/types.js';

export interface TarJudgement {
  findings: Finding[];
  salvage?: SalvageReport;
  verdict?: MemberVerdict;
  /** the archive's bytes are damaged (a stop, a failed stream check, members that differ from the index) */
  damaged: boolean;
  /** this machine stopped the read (no room): no verdict */
  environment: boolean;
  /** for the report: what vouched, what is empty or zeros */
  archive: Pick<ArchiveReport, 'vouchedBy' | 'damagedMembers' | 'emptyFiles' | 'zeroFiles' | 'noPermissionFiles'>;
}

/** Whether the compressed stream checks its own content, by its first bytes. */
export function streamCheck(compression: Compression, head: Uint8Array): ArchiveReport['vouchedBy'] {
  switch (compression) {
    case 'gzip':
      return 'gzip CRC';
    case 'bzip2':
      return 'bzip2 CRC';
    case 'zstd':
      // Frame header descriptor, bit 2: the frame ends with a checksum of its content.
      return (head[4]! & 0x04) !== 0 ? 'zstd checksum' : undefined;
    case 'xz':
      // Stream flags: the low nibble of byte 7 names the check (0: none).
      return (head[7]! & 0x0f) !== 0 ? 'xz check' : undefined;
    default:
      return undefined;
  }
}

function some(names: string[], max = 5): string {
  return `${names.slice(0, max).join(', ')}${names.length > max ? ', …' : ''}`;
}

/** What became of the members after a stop: lost, or what salvage gets back past it. */
function afterStop(member: string | undefined, past: SalvagePast | undefined, indexed: boolean): string {
  const from = member ? `${member} and ` : '';
  if (!past || past.resumedAt.length === 0) return `${from}everything after it is lost${past ? ' (salvage found nowhere to pick up again)' : ''}`;
  const back = past.verified + past.recovered;
  const of = back + past.damaged + past.lost;
  const how = indexed ? `${past.verified} verified against the content index` : 'unverified: no content index vouches for them';
  return `past the damage, salvage picks up again at byte ${past.resumedAt[0]} of the file and gets back ${back} of ${of} files (${how}), ${past.damaged + past.lost} damaged or lost; \`restorable salvage FILE --out DIR\` writes them out`;
}

/**
 * What one read of a tar archive says about it, for the deep check and the
 * restore test alike: where it stopped and why, each member against the
 * content index when there is one, trailing data, how the archive ended,
 * and the members that are empty, all zeros or unreadable by anyone.
 */
export function judgeTarRead(x: { summary: ReadSummary; listing: ArchiveEntry[]; index?: ContentIndex; fileSize: number; compression: Compression; head: Uint8Array; past?: SalvagePast }): TarJudgement {
  const { summary, listing, index } = x;
  const f = summary.failure;
  const findings: Finding[] = [];
  const stop = f && !f.stopped && !f.checksum ? f : undefined;
  const verdict = index && !f?.stopped ? judgeMembers(index, listing, stop ? { member: stop.member } : undefined) : undefined;
  let salvage: SalvageReport | undefined;
  const readToEnd = `${summary.entries} members (${summary.contentBytes} bytes)`;
  const proven = verdict ? `; the content index proves ${verdict.intact} files intact` : '';
  if (f?.stopped) findings.push({ severity: 'error', message: `extraction stopped: ${f.message}`, member: f.member });
  else if (f?.checksum) {
    const n = verdict?.damaged.length ?? 0;
    const named = verdict
      ? n
        ? `the content index names ${n} damaged member${n === 1 ? '' : 's'} (below) and proves ${verdict.intact} files intact`
        : `the content index proves all ${verdict.intact} files intact: the damage is outside the members' data`
      : 'every member was read to its end, but which one is damaged cannot be told without a content index (manifest --contents)';
    findings.push({ severity: 'error', message: `${f.message}; ${named}`, offset: f.compressedOffset });
  } else if (stop) {
    salvage = {
      message: stop.message,
      compressedOffset: stop.compressedOffset,
      uncompressedOffset: stop.uncompressedOffset,
      member: stop.member,
      recoverableMembers: verdict ? verdict.intact : summary.entries,
      recoverableBytes: summary.contentBytes,
      unreadBytes: Math.max(0, x.fileSize - stop.compressedOffset),
      ...(x.past ? { past: x.past } : {}),
    };
    findings.push({
      severity: 'error',
      message: `reading stopped at byte ${stop.compressedOffset} of the file (byte ${stop.uncompressedOffset} of the archive)${stop.member ? ` inside ${stop.member}` : ''}: ${stop.message}. ${readToEnd} before it were read to their end${proven}; ${afterStop(stop.member, x.past, index !== undefined)}`,
      offset: stop.compressedOffset,
      member: stop.member,
    });
  }
  if (verdict) findings.push(...memberFindings(verdict));
  if (summary.trailingBytes > 0) {
    const at = x.fileSize - summary.trailingBytes;
    findings.push({ severity: 'warning', message: `${summary.trailingBytes} bytes of trailing data after the end of the compressed stream, bytes ${at}-${x.fileSize - 1} of the file (not part of the archive; the members before them are judged on their own)`, offset: at });
  }
  if (summary.trailingNote) findings.push({ severity: 'warning', message: `data after the end of the compressed stream: ${summary.trailingNote} (the members before it are judged on their own)` });
  const end = summary.end;
  if (end && !f) {
    if (!end.endMarker) findings.push({ severity: 'warning', message: 'the archive has no end-of-archive marker: it may have been cut at a member boundary' });
    else if (end.loneZeroBlock) findings.push({ severity: 'warning', message: 'the archive ends with a lone zero block (GNU tar warns of it too)' });
    if (end.afterEnd) findings.push({ severity: 'info', message: `${end.afterEnd.length} bytes of data after the end-of-archive marker, from byte ${end.afterEnd.offset} of the archive (tar reads no further)` });
  }
  const files = [...new Map(listing.filter((e) => e.type === 'file' && e.facts).map((e) => [e.path, e])).values()];
  const emptyFiles = files.filter((e) => e.facts!.bytes === 0).map((e) => e.path);
  const zeroFiles = files.filter((e) => e.facts!.allZero).map((e) => e.path);
  const noPermissionFiles = files.filter((e) => (e.mode & 0o777) === 0).map((e) => e.path);
  if (emptyFiles.length) findings.push({ severity: 'warning', message: `${emptyFiles.length} empty file${emptyFiles.length === 1 ? '' : 's'}: ${some(emptyFiles)}` });
  if (zeroFiles.length) findings.push({ severity: 'warning', message: `${zeroFiles.length} file${zeroFiles.length === 1 ? '' : 's'} made only of zero bytes (the trace of a lost write?): ${some(zeroFiles)}` });
  if (noPermissionFiles.length) findings.push({ severity: 'warning', message: `${noPermissionFiles.length} files nobody may read (mode 000): ${some(noPermissionFiles)}` });
  const damaged = Boolean((f && !f.stopped) || verdict?.damaged.length || verdict?.missing.length);
  const vouchedBy = verdict && !damaged ? 'content index' : !f ? streamCheck(x.compression, x.head) : undefined;
  return {
    findings,
    salvage,
    verdict,
    damaged,
    environment: f?.environment === true,
    archive: { vouchedBy, damagedMembers: verdict?.damaged.map((d) => d.path), emptyFiles, zeroFiles, noPermissionFiles },
  };
}
