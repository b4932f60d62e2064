import { evidenceName } from '../core/locations/provider-checksum.js';
import { salvageLine } from './salvage-report.js';
import type { CheckResult, Region } from '../core/events/types.js';
import { isCheckFailure, isIntegrityFailure } from '../core/events/types.js';
import { EXIT } from '../core/errors.js';
import { displayPath, formatBytes, jsonText, printable, printableDeep } from './format.js';
import { STATUS_WORD, colorFor, drilled, sizeOnly, statusGlyph, statusWord, unvouched, type Paint } from './style.js';

/** Exit code for a run: 1 if anything is damaged, else 2 if anything could not be checked, else 0. */
export function exitCodeFor(results: CheckResult[]): number {
  if (results.length === 0) return EXIT.cannotCheck; // nothing checked is never a pass
  if (results.some((r) => isIntegrityFailure(r.status))) return EXIT.integrity;
  if (results.some((r) => isCheckFailure(r.status))) return EXIT.cannotCheck;
  return EXIT.ok;
}

/** "corrupt (confirmed)  blocks 19-20  bytes 1245184-1376255 (128 KiB)"; `compact` drops the column padding. */
export function regionLine(r: Region, compact = false): string {
  const blocks = r.firstBlock === r.lastBlock ? `block ${r.firstBlock}` : `blocks ${r.firstBlock}-${r.lastBlock}`;
  const kind = r.kind === 'corrupt' ? `corrupt (${r.state ?? 'unconfirmed'})` : r.kind;
  const bytes = `bytes ${r.offset}-${r.offset + r.length - 1} (${formatBytes(r.length)})`;
  return compact ? `${kind} ${blocks} ${bytes}` : `${kind.padEnd(20)} ${blocks.padEnd(16)} ${bytes}`;
}

/** How a copy was judged, in a few words: "ETag", "x-amz-checksum-crc64nvme, nothing downloaded", "read in full". */
export function copyEvidence(c: NonNullable<CheckResult['copy']>): string {
  const pct = `${(c.coverage * 100).toFixed(c.coverage < 0.1 ? 1 : 0)}%`;
  switch (c.evidence) {
    case 'sample':
      return `${pct} sampled by ranged reads (${formatBytes(c.bytesRead)} downloaded)`;
    case 'full':
      return 'read in full';
    case 'size':
      return 'size';
    case 'none':
      return 'not read';
    default:
      // The store's own checksum or ETag, alone or with samples.
      return c.bytesRead ? `${evidenceName(c.evidence)} + ${pct} sampled (${formatBytes(c.bytesRead)} downloaded)` : `${evidenceName(c.evidence)}, nothing downloaded`;
  }
}

function headline(r: CheckResult): string {
  if (r.drill) {
    const d = r.drill;
    return `${d.dumpedBy ?? d.tool ?? 'dump'} restored into ${d.server} in ${d.restoreSeconds.toFixed(2)} s (${formatBytes(Math.round(d.bytesPerSec))}/s) · ${d.rows} ${d.rows === 1 ? 'row' : 'rows'} in ${d.tables.length} ${d.tables.length === 1 ? 'table' : 'tables'}`;
  }
  if (r.restore) {
    const x = r.restore;
    return `restored ${x.restoredFiles} files, ${formatBytes(x.restoredBytes)} in ${x.seconds.toFixed(2)} s (${formatBytes(Math.round(x.bytesPerSec))}/s)${x.kept ? ` into ${x.target}` : ''}`;
  }
  if (r.archive) {
    const a = r.archive;
    const what = `${a.format} · ${a.entries} member${a.entries === 1 ? '' : 's'} · ${formatBytes(a.contentBytes)}`;
    if (r.salvage) return `${what} readable, then damaged`;
    if (r.status !== 'verified') return what;
    return `${what} · ${a.vouchedBy ? `vouched for by the ${a.vouchedBy}` : 'read to its end; nothing vouches for the bytes (no content index: manifest --contents)'}`;
  }
  if (r.copy && r.status === 'verified') return `${formatBytes(r.size ?? 0)}  ${copyEvidence(r.copy)}`;
  switch (r.status) {
    case 'verified':
    case 'manifest_created': {
      const algos = Object.keys(r.digests ?? {}).join(', ');
      const how = r.checks.includes('blocks') && !algos ? 'blocks' : algos || 'size';
      return `${formatBytes(r.size ?? 0)}  ${how}`;
    }
    case 'size_mismatch': {
      // Sizes that round alike still differ: say by how many bytes.
      const [size, expected] = [formatBytes(r.size ?? 0), formatBytes(r.expectedSize ?? 0)];
      const diff = (r.size ?? 0) - (r.expectedSize ?? 0);
      return `${size} of ${expected} expected${size === expected ? ` (${Math.abs(diff)} ${Math.abs(diff) === 1 ? 'byte' : 'bytes'} ${diff < 0 ? 'short' : 'over'})` : ''}`;
    }
    case 'hash_mismatch':
    case 'corrupt_blocks': {
      const bad = Object.entries(r.digests ?? {}).filter(([, d]) => !d.ok).map(([a]) => a);
      const parts = [bad.length ? `${bad.join(', ')} mismatch` : ''];
      if (r.regions?.length) parts.push(`${r.regions.length} damaged region${r.regions.length === 1 ? '' : 's'}`);
      return parts.filter(Boolean).join(' · ');
    }
    case 'deferred':
      return `${formatBytes(r.size ?? 0)}  exists at the right size; not read this run`;
    case 'tampered': {
      const bad = r.signatures?.filter((x) => x.state !== 'valid').length ?? 1;
      return `${bad} manifest${bad === 1 ? '' : 's'} not validly signed by a trusted key: the backup was not judged by ${bad === 1 ? 'it' : 'them'}`;
    }
    default: {
      const message = r.findings.find((f) => f.severity === 'error')?.message ?? '';
      return message.startsWith(`${r.file}: `) ? message.slice(r.file.length + 2) : message;
    }
  }
}

/** A restored table's rows, beside what the dump holds and what the last drill restored. */
export function tableLine(t: NonNullable<CheckResult['drill']>['tables'][number]): string {
  const notes = [t.inDump === undefined ? '' : t.inDump === t.rows ? 'as in the dump' : `the dump holds ${t.inDump}`, t.lastDrill === undefined ? '' : `last drill ${t.lastDrill}${t.lastDrill === t.rows ? '' : `, ${t.rows > t.lastDrill ? '+' : ''}${t.rows - t.lastDrill}`}`].filter(Boolean);
  return `${t.table}: ${t.rows}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

/** One result as a few lines of text: status line, then regions and findings indented. */
export function renderResult(result: CheckResult, p: Paint, opts: { verbose?: boolean } = {}): string {
  const r = printableDeep(result);
  const color = colorFor(r.status, p);
  const word = statusWord(r).padEnd(13);
  const head = headline(r);
  // "file: problem" reads as one sentence when the problem is about the file itself.
  const joined = r.status === 'error' && r.findings[0]?.message.startsWith(`${r.file}: `);
  const lines = [`${color(`${statusGlyph(r.status)} ${word}`)} ${displayPath(r.file)}${joined ? `: ${head}` : `  ${p.dim(head)}`}`];
  const indent = '    ';
  for (const region of r.regions ?? []) {
    lines.push(`${indent}${regionLine(region)}`);
    if (region.affectedMembers) {
      const after = region.affectedMembers - 1;
      const spoils = `spoils ${printable(region.members?.[0] ?? '')}${after ? ` and the ${after} member${after === 1 ? '' : 's'} after it` : ''}`;
      lines.push(`${indent}  ${spoils} ${region.resumesAt ? `up to the restart point at byte ${region.resumesAt.compressed} (restorable salvage reads on from there)` : '(compressed data cannot be read past damage)'}`);
    }
    else if (region.members?.length) lines.push(`${indent}  in ${region.members.slice(0, 5).map(printable).join(', ')}${region.members.length > 5 ? `, and ${region.members.length - 5} more` : ''}`);
    // What the bytes say happened; "nothing to see without a copy" only with -v (always in --json).
    if (region.forensics && (region.forensics.kind !== 'unknown' || opts.verbose)) lines.push(`${indent}  ${region.forensics.summary}`);
  }
  if (r.salvage) {
    const s = r.salvage;
    lines.push(`${indent}salvage: reading stopped at byte ${s.compressedOffset} of the file (byte ${s.uncompressedOffset} uncompressed)${s.member ? `, inside ${s.member}` : ''}`);
    lines.push(`${indent}         before it: ${s.recoverableMembers} members (${formatBytes(s.recoverableBytes)})${s.past?.resumedAt.length ? '' : `; lost: ${s.member ? `${s.member} and ` : ''}all after it (${formatBytes(s.unreadBytes)} of the file unread)`}`);
    if (s.past?.resumedAt.length) lines.push(`${indent}         ${salvageLine(s.past)}`);
  }
  // Every table's rows with -v (always in --json), beside what the dump itself holds.
  if (r.drill && opts.verbose) for (const t of r.drill.tables) lines.push(`${indent}${tableLine(t)}`);
  for (const probe of r.drill?.probes ?? []) if (probe.passed) lines.push(`${indent}✓ probe "${probe.name}" returned true`);
  for (const d of r.dumps ?? []) {
    const tables = `${d.rows} ${d.rows === 1 ? 'row' : 'rows'} in ${d.tables.length} ${d.tables.length === 1 ? 'table' : 'tables'}`;
    lines.push(`${indent}dump ${d.name}: ${d.tool ?? 'SQL of an unknown tool'} · ${tables}${d.complete ? '' : ' · not complete'}`);
    // Every table's rows with -v (and always in --json): what a restore drill compares with.
    if (opts.verbose) for (const t of d.tables) lines.push(`${indent}  ${t.table}: ${t.rows}`);
  }
  const shown = new Set<string>();
  for (const f of r.findings) {
    if (f.message.includes(' region: ') && r.regions?.length) continue; // already drawn above
    if (r.salvage && f.message.startsWith('reading stopped at byte')) continue; // the salvage lines say it
    if ((r.status === 'no_manifest' || r.status === 'error' || r.status === 'missing' || r.status === 'empty') && !r.archive && !r.restore && f === r.findings.find((x) => x.severity === 'error')) continue; // the headline said it
    if (f.severity === 'info' && !opts.verbose) continue;
    if (shown.has(f.message)) continue;
    shown.add(f.message);
    const mark = f.severity === 'error' ? '✗' : f.severity === 'warning' ? '!' : '·';
    // Full digests are in --json and -v; text shows enough to compare by eye.
    const message = opts.verbose ? f.message : f.message.replace(/\b([0-9a-f]{16})[0-9a-f]{16,}\b/g, '$1…');
    lines.push(`${indent}${mark} ${message}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Counts and the list of failures, printed at the end of every multi-file run. */
export function renderSummary(checked: CheckResult[], p: Paint): string {
  const results = printableDeep(checked);
  const counts = new Map<string, number>();
  for (const r of results) counts.set(statusWord(r), (counts.get(statusWord(r)) ?? 0) + 1);
  const failed = results.filter((r) => isIntegrityFailure(r.status) || isCheckFailure(r.status));
  const parts = [...counts].map(([word, n]) => `${n} ${word}`);
  const noun = results.length === 1 ? 'file' : 'files';
  let out = `\n${p.bold(`${results.length} ${noun} checked`)}: ${parts.join(', ')}\n`;
  if (failed.length > 0) {
    out += `${p.bold(`${failed.length} failed:`)}\n`;
    for (const r of failed) {
      const detail = r.regions?.length ? ` (${r.regions.length} region${r.regions.length === 1 ? '' : 's'})` : '';
      out += `  ${colorFor(r.status, p)(`${statusGlyph(r.status)} ${STATUS_WORD[r.status].padEnd(13)}`)} ${displayPath(r.file)}${detail}\n`;
    }
  } else if (results.every((r) => r.status === 'manifest_created')) {
    out += `${p.green('✓ all created')}\n`;
  } else if (results.some((r) => unvouched(r) || sizeOnly(r) || drilled(r) || r.status === 'deferred')) {
    const deferred = results.filter((r) => r.status === 'deferred').length;
    const notes = [
      deferred ? `${deferred} deferred: the egress budget left their reads for a later run` : '',
      results.some(unvouched) ? `${results.filter(unvouched).length} read to their end: nothing vouches for their bytes` : '',
      results.some(sizeOnly) ? `${results.filter(sizeOnly).length} compared by size only: nothing read their bytes` : '',
      results.some(drilled) ? `${results.filter(drilled).length} restored with every table's rows: nothing compared the values` : '',
    ].filter(Boolean);
    out += `${p.green('✓ no damage found')} (${notes.join('; ')})\n`;
  } else {
    out += `${p.green('✓ all intact')}\n`;
  }
  return out;
}

/** The single JSON document of --json. */
export function jsonReport(results: CheckResult[], extra: Record<string, unknown> = {}): string {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return jsonText({ ok: exitCodeFor(results) === EXIT.ok, ...extra, summary: { total: results.length, ...counts }, results });
}
