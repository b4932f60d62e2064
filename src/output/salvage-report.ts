import type { SalvageReport } from '../core/salvage/salvage.js';
import { EXIT } from '../core/errors.js';
import type { SalvagePast } from '../core/events/types.js';
import { printable } from './format.js';

const n = (x: number) => x.toLocaleString('en-US');
const LISTED = 20;

/** What salvage, reading on past a stop, gets back: one line for the deep check's report and the inspector. */
export function salvageLine(p: SalvagePast): string {
  const back = p.verified + p.recovered;
  if (!p.resumedAt.length) return 'reading on past it, salvage found nowhere to pick up again: the rest is lost';
  return `reading on past it, salvage gets back ${n(back)} of ${n(back + p.damaged + p.lost)} files (${p.verified ? `${n(p.verified)} verified against the content index` : 'unverified'}), ${n(p.damaged + p.lost)} damaged or lost: restorable salvage FILE --out DIR`;
}

/** 0 when every member came out whole and nothing was lost; 1 when the archive is damaged. */
export function salvageExitCode(r: SalvageReport): number {
  return r.losses.length || r.tarDamage.length || r.counts.damaged || r.counts.lost ? EXIT.integrity : EXIT.ok;
}

/** The salvage report as text: what came out, what did not and where, and what vouches for it. */
export function salvageText(r: SalvageReport, verbose = false): string {
  const lines: string[] = [];
  const c = r.counts;
  const seen = c.verified + c.recovered + c.damaged + c.lost;
  lines.push(`${printable(r.file)} (${r.format}): salvaged into ${printable(r.out)}`);
  if (r.index) lines.push(`  ${n(c.verified)} verified against the content index, ${n(c.recovered)} recovered without an index entry, ${n(c.damaged)} damaged, ${n(c.lost)} lost (of ${n(seen)} files)`);
  else lines.push(`  ${n(c.recovered)} recovered, unverified (no content index: nothing vouches for their bytes), ${n(c.damaged)} damaged (of ${n(seen)} files)`);
  for (const l of r.losses) lines.push(`  damage: compressed bytes ${n(l.from)}–${n(l.to)}: ${printable(l.why)}`);
  for (const t of r.tarDamage) lines.push(`  damage${t.offset === undefined ? '' : ` at byte ${n(t.offset)} of the tar`}: ${printable(t.why)}`);
  for (const s of r.resumes) lines.push(`  resumed at compressed byte ${n(s.compressed)}${s.uncompressed === undefined ? '' : ` (uncompressed ${n(s.uncompressed)})`}: ${s.how}`);
  const shown = verbose ? r.missing : r.missing.slice(0, LISTED);
  for (const m of shown) lines.push(`  ${m.state}: ${printable(m.path)}${m.offset === undefined ? '' : ` (bytes ${n(m.offset)}–${n(m.offset + m.size)} of the tar)`}${m.why ? `: ${printable(m.why)}` : ''}`);
  if (shown.length < r.missing.length) lines.push(`  … and ${n(r.missing.length - shown.length)} more damaged or lost (-v lists them all)`);
  for (const w of r.warnings) lines.push(`  warning: ${printable(w)}`);
  if (salvageExitCode(r) === EXIT.ok) lines.push(`  no damage met: every member ${r.index ? 'verified' : 'read to its end'}`);
  return `${lines.join('\n')}\n`;
}
