import { letter, type LocateReport } from '../core/locate/locate.js';
import type { RepairOutcome } from '../core/locate/repair.js';
import { EXIT } from '../core/errors.js';
import { formatBytes, printable } from './format.js';

const n = (x: number) => x.toLocaleString('en-US');
const LISTED = 20;

/** 0: the copies are the same (and what the manifests say, when they say); 1: a copy is damaged and was not repaired. */
export function compareExitCode(r: LocateReport, repaired: RepairOutcome[] = []): number {
  const same = r.regions.length === 0 && new Set(r.copies.map((c) => c.size)).size === 1;
  if (same) return r.copies.every((c) => c.manifest?.ok !== false) ? EXIT.ok : EXIT.integrity;
  const damaged = r.copies.filter((c) => c.right === false).length;
  return r.right !== undefined && damaged > 0 && repaired.length === damaged ? EXIT.ok : EXIT.integrity;
}

/** Where the copies differ, which one is right, and what the comparison cost each copy's link. */
export function compareText(r: LocateReport, opts: { repaired?: RepairOutcome[]; unhealed?: number[]; verbose?: boolean } = {}): string {
  const { repaired = [], unhealed = [], verbose = false } = opts;
  const lines: string[] = [];
  const size = Math.max(...r.copies.map((c) => c.size));
  lines.push(`compared ${r.copies.length} copies (${formatBytes(size)}) in ${r.levels} round${r.levels === 1 ? '' : 's'} of digests over ${formatBytes(r.leafSize)} leaves`);
  for (const [i, c] of r.copies.entries()) {
    const verdict = c.manifest ? (c.manifest.ok ? 'matches the manifest' : 'differs from the manifest') : c.right === true ? 'agrees with the majority' : c.right === false ? 'outvoted by the others' : '';
    const link = c.where === 'here' ? 'on this machine' : c.where === 'remote' ? `read where it lies; ${formatBytes(c.moved)} crossed (${pct(c.moved, c.size)})` : `downloaded: ${formatBytes(c.moved)} (${pct(c.moved, c.size)})`;
    lines.push(`  ${letter(i)}  ${printable(c.name)}  ${formatBytes(c.size)}${verdict ? `, ${verdict}` : ''}  · ${link}`);
  }
  if (r.regions.length === 0 && new Set(r.copies.map((c) => c.size)).size === 1) {
    const ok = r.copies.every((c) => c.manifest?.ok !== false);
    const vouched = r.copies.some((c) => c.manifest?.ok);
    lines.push(ok ? `✓ every copy holds the same bytes${vouched ? ', and they are what the manifest says' : ' (nothing says they are right: no manifest digest was found)'}` : `✗ every copy holds the same bytes, but not what the manifest says: every copy is damaged, or the manifest is wrong`);
    return `${lines.join('\n')}\n`;
  }
  const total = r.regions.reduce((a, x) => a + x.length, 0);
  lines.push(`✗ ${n(r.regions.length)} region${r.regions.length === 1 ? '' : 's'} differ${r.regions.length === 1 ? 's' : ''} (${formatBytes(total)})`);
  for (const g of (verbose ? r.regions : r.regions.slice(0, LISTED))) {
    const who = groupsText(g.groups);
    lines.push(`  bytes ${n(g.offset)}–${n(g.offset + g.length - 1)} (${formatBytes(g.length)}${g.exact ? '' : ', to the leaf'}): ${who}`);
    if (g.forensics?.summary) lines.push(`      ${letter(g.described ?? 0)}: ${printable(g.forensics.summary)}`);
  }
  if (!verbose && r.regions.length > LISTED) lines.push(`  … and ${n(r.regions.length - LISTED)} more (-v lists them all)`);
  if (r.right !== undefined) {
    const wrong = r.copies.map((c, i) => (i !== r.right && c.right === false ? letter(i) : '')).filter(Boolean);
    lines.push(`  right: ${letter(r.right)} (${r.judge === 'manifest' ? 'its digests are the manifest\'s' : 'it holds the bytes most copies hold, wherever they differ'}); damaged: ${wrong.join(', ') || 'none'}`);
  } else if (r.judge === 'manifest') {
    lines.push('  right: none: no copy matches the manifest');
  } else {
    lines.push(`  right: not known: ${r.copies.length < 3 ? 'two copies cannot outvote each other; a manifest with the backup\'s digest, or a third copy, would say' : 'no copy holds the majority\'s bytes everywhere'}`);
  }
  if (unhealed.length) lines.push(`  not healed: ${unhealed.map(letter).join(', ')}: ${r.right === undefined ? "no copy is known to be right (a manifest with the backup's digest, or a third copy, would say which)" : 'only a copy on this machine is repaired; run the comparison where the copy lies'}`);
  for (const h of repaired) lines.push(`✓ healed ${printable(h.path)}: ${n(h.regions)} region${h.regions === 1 ? '' : 's'} (${formatBytes(h.fetchedBytes)}) from the right copy, the whole file checked${h.damaged ? `; the damaged copy is kept as ${printable(h.damaged)}` : ''}`);
  return `${lines.join('\n')}\n`;
}

const pct = (part: number, whole: number) => {
  const p = whole ? (100 * part) / whole : 0;
  return `${p > 0 && p < 0.01 ? '<0.01' : p.toFixed(p < 10 ? 2 : 1)}% of it`;
};

function groupsText(groups: number[]): string {
  const by = new Map<number, string[]>();
  groups.forEach((g, i) => by.set(g, [...(by.get(g) ?? []), letter(i)]));
  return [...by.values()].map((l) => l.join(' = ')).join(' ≠ ');
}
