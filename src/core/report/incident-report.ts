import { resolve } from 'node:path';
import type { CheckResult } from '../events/types.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import type { LedgerRecord } from '../schedule/ledger.js';
import type { BackupState } from '../schedule/strength.js';
import { regionLine } from '../../output/report.js';
import { toolVersion } from '../version.js';

/** One backup as an incident report tells it: what it is, its one state, every check kind's last word, what this session found. */
export interface ReportItem {
  file: string;
  size: number;
  mtimeMs: number;
  state?: BackupState;
  checks: Record<string, LedgerRecord>;
  /** the inspector's latest result for it, with its regions and findings */
  result?: CheckResult;
}

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

function markdown(items: ReportItem[], title: string, at: Date): string {
  const out = [`# ${title}`, '', `Written by restorable ${toolVersion()} at ${when(at.toISOString())}.`, ''];
  if (items.length === 0) out.push('Nothing to report: no backup is failing.', '');
  for (const it of items) {
    const s = it.state;
    out.push(`## ${it.file}`, '');
    out.push(`- size: ${it.size} bytes, modified ${when(new Date(it.mtimeMs).toISOString())}`);
    out.push(`- state: ${s ? `${s.status.replace(/_/g, ' ')}${s.failing ? `, found by the ${s.check} check at ${when(s.at)}` : ` (${s.check} check, ${when(s.at)})`}` : 'never checked'}`);
    if (s?.detail) out.push(`- what it found: ${s.detail}`);
    const kinds = Object.entries(it.checks);
    if (kinds.length) {
      out.push('', '| check | result | when |', '|---|---|---|');
      for (const [check, r] of kinds) out.push(`| ${check} | ${r.status.replace(/_/g, ' ')} | ${when(r.at)} |`);
    }
    const r = it.result;
    if (r?.regions?.length) out.push('', 'Damaged regions:', '', ...r.regions.map((x) => `- ${regionLine(x, true)}${x.members?.length ? ` in ${x.members.join(', ')}` : ''}`));
    const findings = r?.findings.filter((f) => f.severity !== 'info') ?? [];
    if (findings.length) out.push('', 'Findings:', '', ...findings.map((f) => `- ${f.severity}: ${f.message}`));
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

/**
 * Writes an incident report as BASE.md (for people) and BASE.json (for
 * tools), never over an existing file; returns the two paths.
 */
export async function writeIncidentReport(base: string, items: ReportItem[], opts: { title: string; at?: Date }): Promise<string[]> {
  const at = opts.at ?? new Date();
  const stem = resolve(base.replace(/\.(md|json)$/i, ''));
  const json = { restorable: toolVersion(), title: opts.title, written_at: at.toISOString(), backups: items };
  const paths = [`${stem}.md`, `${stem}.json`];
  await atomicWrite(paths[0]!, markdown(items, opts.title, at));
  await atomicWrite(paths[1]!, `${JSON.stringify(json, null, 2)}\n`);
  return paths;
}
