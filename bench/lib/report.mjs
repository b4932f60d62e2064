// The report: rows (sections, notes, commands, checks) from the measurements,
// printed as a text table (colored on a terminal) and as a Markdown table.
import { loadavg, totalmem } from 'node:os';
import { human } from './sizes.mjs';
import { median } from './timing.mjs';
import { toolVersion } from './tools.mjs';

const fmtSeconds = (s) => (s == null ? '' : s.toFixed(3));
const fmtRatio = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The lines above the table: when, on what machine, with which tools, on what files. */
export function headerLines(opts, machine, tools, timed, memoryWanted) {
  const header = [
    `restorable bench — ${new Date().toISOString()}`,
    `cpu: ${machine.model}; ${machine.cores} cores${machine.flags.length ? ` (${machine.flags.join(', ')})` : ''}; ${human(totalmem())} RAM; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `node ${process.version}; ${Object.entries(tools).map(([k, p]) => (p ? toolVersion(p, k === 'openssl' ? ['version'] : ['--version']) : `${k}: not installed`)).join('; ')}`,
  ];
  if (timed) {
    header.push(`file: ${human(opts.size)} (${opts.size} bytes) in ${opts.dir}; ${opts.runs} timed round${opts.runs === 1 ? '' : 's'} + 1 warm-up, interleaved; median of whole-process wall time`);
  }
  if (memoryWanted) header.push(`memory file: ${human(opts.memorySize)} in ${opts.dir}; one run per command`);
  return header;
}

/** Adds each group's rows: its commands' medians, then its checks' ratios against their targets. */
export function evaluate(groups, rows) {
  for (const g of groups) {
    rows.push({ kind: 'section', text: g.title });
    if (g.skipped) {
      rows.push({ kind: 'note', text: g.skipped });
      continue;
    }
    const byKey = new Map(g.commands.map((c) => [c.key, c]));
    for (const c of g.commands) {
      if (c.skipped) rows.push({ kind: 'cmd', label: c.label, seconds: null, skipped: c.skipped });
      else if (c.error) rows.push({ kind: 'cmd', label: c.label, seconds: null, error: c.error });
      else rows.push({ kind: 'cmd', label: c.label, seconds: median(c.times), times: c.times });
    }
    for (const chk of g.checks) {
      const a = byKey.get(chk.num);
      const b = byKey.get(chk.den);
      const target = chk.op === 'info' ? '—' : `${chk.op === '<=' ? '≤' : '≥'} ${chk.target}`;
      const missing = [a, b].find((c) => c.skipped || c.error);
      if (missing) {
        rows.push({ kind: 'check', label: chk.label, seconds: null, value: '—', target, result: missing.skipped ? 'skipped' : 'ERROR' });
        continue;
      }
      const ratio = median(a.times) / median(b.times);
      const pass = chk.op === '<=' ? ratio <= chk.target : chk.op === '>=' ? ratio >= chk.target : null;
      rows.push({ kind: 'check', label: chk.label, seconds: null, value: fmtRatio(ratio), target, result: pass === null ? 'info' : pass ? 'PASS' : 'FAIL' });
    }
  }
}

function renderText(rows, opts, color) {
  const paint = (result) => {
    if (!color) return result;
    const code = { PASS: 32, FAIL: '1;31', ERROR: '1;31', skipped: 33 }[result];
    return code ? `\x1b[${code}m${result}\x1b[0m` : result;
  };
  const header = ['measurement', 'median s', 'ratio', 'target', 'result'];
  const cells = rows
    .filter((r) => r.kind === 'cmd' || r.kind === 'check')
    .map((r) => cellsOf(r));
  const w = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c, raw = c) =>
    `${c[0].padEnd(w[0])}  ${c[1].padStart(w[1])}  ${c[2].padStart(w[2])}  ${c[3].padEnd(w[3])}  ${raw[4]}`.trimEnd();
  const out = [line(header), '─'.repeat(w.reduce((a, b) => a + b + 2, -2) + 0)];
  for (const r of rows) {
    if (r.kind === 'section') out.push(r.text);
    else if (r.kind === 'note') out.push(`  (${r.text})`);
    else {
      const c = cellsOf(r);
      out.push(line(c, [...c.slice(0, 4), paint(c[4])]));
      if (r.error) for (const l of r.error.split('\n')) out.push(`      ${l}`);
      if (opts.verbose && r.times) out.push(`      runs: ${r.times.map((t) => t.toFixed(3)).join(' ')}`);
    }
  }
  return out.join('\n');
}

function cellsOf(r) {
  const label = `  ${r.label}`;
  if (r.kind === 'cmd') {
    const result = r.error ? 'ERROR' : r.skipped ? 'skipped' : '';
    return [label, fmtSeconds(r.seconds), '', '', result];
  }
  return [label, fmtSeconds(r.seconds), r.value ?? '', r.target ?? '', r.result ?? ''];
}

function renderMarkdown(rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const out = ['| measurement | median s | ratio | target | result |', '|---|---:|---:|---|---|'];
  for (const r of rows) {
    if (r.kind === 'section') out.push(`| **${esc(r.text)}** | | | | |`);
    else if (r.kind === 'note') out.push(`| _${esc(r.text)}_ | | | | |`);
    else {
      const c = cellsOf(r);
      const label = r.kind === 'cmd' || r.label.startsWith('peak RSS') ? `\`${esc(r.label.replace(/^peak RSS: /, ''))}\`` : esc(r.label);
      const shown = r.label.startsWith('peak RSS') ? `peak RSS ${label}` : label;
      const result = c[4] === 'FAIL' || c[4] === 'ERROR' ? `**${esc(c[4])}**` : esc(c[4]);
      out.push(`| ${shown} | ${c[1]} | ${esc(c[2])} | ${esc(c[3])} | ${result} |`);
    }
  }
  return out.join('\n');
}

/**
 * The whole report, ending in a newline: header, notes, the table, the
 * verdict on the targets, the count of failed measurements and (with
 * --markdown) the Markdown table. `timed`: whether comparisons a–e ran.
 */
export function formatReport({ header, notes, rows, opts, failures, color, timed, machine }) {
  const out = [...header, ...notes.map((n) => `note: ${n}`), '', renderText(rows, opts, color)];
  const results = rows.filter((r) => r.kind === 'check' && r.result);
  const failed = results.filter((r) => r.result === 'FAIL');
  const targets = results.filter((r) => r.result === 'PASS' || r.result === 'FAIL');
  out.push('');
  out.push(
    failed.length
      ? `${color ? '\x1b[1;31m' : ''}FAIL${color ? '\x1b[0m' : ''}: ${failed.length} of ${targets.length} targets missed: ${failed.map((r) => r.label.trim()).join('; ')}`
      : `${targets.length} of ${targets.length} targets met`,
  );
  if (failures) out.push(`ERROR: ${failures} measurement${failures === 1 ? '' : 's'} could not run (see above)`);
  if (opts.markdown) {
    const what = timed ? `${human(opts.size)} file, median of ${opts.runs}` : `${human(opts.memorySize)} file`;
    out.push('', `Markdown (${what}; ${machine.model}, ${machine.cores} cores, node ${process.version}):`, '');
    out.push(renderMarkdown(rows));
  }
  return `${out.join('\n')}\n`;
}
