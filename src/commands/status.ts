import type { Command } from 'commander';
import { resolve, sep } from 'node:path';
import { EXIT, UsageError } from '../core/errors.js';
import { displayPath, jsonText, printable } from '../output/format.js';
import { STATUS_WORD, statusGlyph } from '../output/style.js';
import type { Status } from '../core/events/types.js';
import type { BackupState } from '../core/schedule/strength.js';
import { coveredShare, runsToFull, type CopyCoverage } from '../core/locations/coverage.js';
import { alertOptions, resolveChannels } from './alert-options.js';
import { durationArg, jsonOption, stateDirOption } from './options.js';
import type { AlertChannels } from '../core/report/alerts.js';

interface StateFlags {
  stateDir?: string;
  json?: boolean;
}

/** One backup's state as `status` shows it: the ledger's, the alerts' acknowledgement, each copy. */
interface Row {
  backup: string;
  state: BackupState;
  acknowledged?: { at: string; by?: string; comment?: string; until?: string };
  copies: { location: string; state: BackupState; coverage?: { share: number; runs: number; since: string; runsToFull?: number } }[];
}

async function stateFolder(flags: StateFlags): Promise<string> {
  const { defaultStateDir } = await import('../core/schedule/ledger.js');
  return flags.stateDir ?? defaultStateDir();
}

/** Whether a backup is one of the paths asked for (itself, or inside a folder asked for). */
function wanted(backup: string, paths: string[]): boolean {
  return paths.length === 0 || paths.some((p) => backup === p || backup.startsWith(p.endsWith(sep) ? p : p + sep));
}

/** "✗ corrupt · by hash at …", then what it found and what came since, each on a line of its own. */
function stateLines(s: BackupState, indent: string): string {
  const word = STATUS_WORD[s.status as Status] ?? s.status;
  const lines = [`${statusGlyph(s.status as Status)} ${word} · by ${s.check} at ${s.at}`];
  if (s.detail) lines.push(`  ${printable(s.detail)}`);
  if (s.latest) lines.push(`  since then: ${s.latest.check} at ${s.latest.at} said ${STATUS_WORD[s.latest.status as Status] ?? s.latest.status}${s.latest.status === 'verified' ? ', not a check strong enough to clear it' : ''}`);
  return lines.map((l) => `${indent}${l}\n`).join('');
}

/** A copy's sampled coverage, as the ledger carries it from run to run. */
function coverageOf(c: CopyCoverage | undefined): { coverage?: Row['copies'][number]['coverage'] } {
  if (!c) return {};
  return { coverage: { share: coveredShare(c), runs: c.runs, since: c.cycle_started, runsToFull: runsToFull(c) } };
}

/** "blocks read: 40% in 4 runs since …; all of them in 6 more runs at the last run's rate" */
function coverageLine(c: NonNullable<Row['copies'][number]['coverage']>): string {
  const pct = `${Math.floor(c.share * 1000) / 10}%`;
  const rest = c.runsToFull === 0 ? 'every block' : c.runsToFull === undefined ? 'nothing read yet' : `all of them in ${c.runsToFull} more ${c.runsToFull === 1 ? 'run' : 'runs'} at the last run's rate`;
  return `blocks read: ${pct} in ${c.runs} ${c.runs === 1 ? 'run' : 'runs'} since ${c.since}; ${rest}`;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("each backup's one state, from the ledger: the worst finding a check as strong has not cleared, and who acknowledged it")
    .argument('[path...]', 'backups or folders (default: every backup the ledger knows)')
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .action(async (paths: string[], flags: StateFlags) => {
      const stateDir = await stateFolder(flags);
      const { Ledger } = await import('../core/schedule/ledger.js');
      const { readAlertState, acknowledged } = await import('../core/report/alert-state.js');
      const ledger = await Ledger.open(stateDir, { create: false });
      const alerts = await readAlertState(stateDir);
      const asked = paths.map((p) => resolve(p));
      const rows: Row[] = [];
      const copyKeys = new Map(ledger.copyRecords());
      for (const backup of new Set([...ledger.all().map(([f]) => f), ...copyKeys.keys()])) {
        if (!wanted(backup, asked)) continue;
        const state = ledger.state(backup);
        const copies = Object.keys(copyKeys.get(backup) ?? {}).map((location) => ({ location, state: ledger.copyState(backup, location)!, ...coverageOf(ledger.copyCoverage(backup, location)) }));
        if (!state && copies.length === 0) continue;
        const f = alerts.failing[backup];
        rows.push({ backup, state: state ?? copies[0]!.state, ...(acknowledged(f) ? { acknowledged: f!.ack } : {}), copies });
      }
      const failing = rows.filter((r) => r.state.failing || r.copies.some((c) => c.state.failing));
      process.exitCode = rows.length === 0 ? EXIT.cannotCheck : failing.length ? EXIT.integrity : EXIT.ok;
      if (flags.json) return void process.stdout.write(`${jsonText({ ok: failing.length === 0 && rows.length > 0, ledger: ledger.file, backups: rows })}\n`);
      if (rows.length === 0) return void process.stdout.write(`nothing recorded${asked.length ? ` for ${asked.map(printable).join(', ')}` : ''} in ${printable(ledger.file)}\n`);
      for (const r of rows) {
        process.stdout.write(`${displayPath(r.backup)}\n${stateLines(r.state, '    ')}`);
        if (r.acknowledged) process.stdout.write(`    acknowledged at ${r.acknowledged.at}${r.acknowledged.by ? ` by ${printable(r.acknowledged.by)}` : ''}${r.acknowledged.until ? ` until ${r.acknowledged.until}` : ''}${r.acknowledged.comment ? `: ${printable(r.acknowledged.comment)}` : ''}\n`);
        for (const c of r.copies) process.stdout.write(`    copy in ${printable(c.location)}:\n${stateLines(c.state, '      ')}${c.coverage ? `        ${coverageLine(c.coverage)}\n` : ''}`);
      }
      process.stdout.write(`\n${rows.length} backup${rows.length === 1 ? '' : 's'}: ${failing.length} failing\n`);
    });

  program
    .command('history')
    .description("a backup's checks over time, from the ledger (the last 50)")
    .argument('<backup>', 'a backup, or LOCATION:NAME for a copy')
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .action(async (backup: string, flags: StateFlags) => {
      const { Ledger } = await import('../core/schedule/ledger.js');
      const ledger = await Ledger.open(await stateFolder(flags), { create: false });
      const key = ledger.history(backup).length ? backup : resolve(backup);
      const entries = ledger.history(key);
      process.exitCode = entries.length ? EXIT.ok : EXIT.cannotCheck;
      if (flags.json) return void process.stdout.write(`${jsonText({ backup: key, history: entries })}\n`);
      if (!entries.length) return void process.stdout.write(`no checks of ${printable(key)} in ${printable(ledger.file)}\n`);
      for (const e of entries) process.stdout.write(`${e.at}  ${statusGlyph(e.status as Status)} ${(STATUS_WORD[e.status as Status] ?? e.status).padEnd(13)} ${e.check.padEnd(8)}${e.detail ? ` ${printable(e.detail)}` : ''}\n`);
    });

  alertOptions(
    program
      .command('ack')
      .description('acknowledge a failing backup: shown in status, sent to PagerDuty as an acknowledgement, cleared when its state changes')
      .argument('<backup>', 'a failing backup, or LOCATION:PATH for a copy')
      .option('--comment <text>', 'what is being done about it')
      .option('--until <time>', 'the acknowledgement lapses after this long (e.g. 24h)', durationArg)
      .addOption(stateDirOption()),
  ).action(async (backup: string, flags: StateFlags & AlertChannels & { comment?: string; until?: number }) => {
    const stateDir = await stateFolder(flags);
    const { readAlertState, updateAlertState, acknowledge } = await import('../core/report/alert-state.js');
    const { deliverOutbox } = await import('../core/report/alerts.js');
    const known = (await readAlertState(stateDir)).failing;
    const key = known[backup] ? backup : resolve(backup);
    if (!known[key]) throw new UsageError(`${key}: not failing as far as the alerts know; nothing to acknowledge (see restorable status)`);
    const { userInfo, hostname } = await import('node:os');
    const now = new Date();
    const channels = resolveChannels(flags, {});
    const problems = await updateAlertState(stateDir, async (state) => {
      acknowledge(state, key, { at: now.toISOString(), by: `${userInfo().username}@${hostname()}`, comment: flags.comment, until: flags.until ? new Date(now.getTime() + flags.until * 1000).toISOString() : undefined }, now);
      return channels.pagerdutyKey ? deliverOutbox(state, channels, now) : [];
    });
    for (const p of problems) process.stderr.write(`restorable: alert not delivered: ${printable(p)}\n`);
    process.stdout.write(`acknowledged ${displayPath(key)}${flags.comment ? `: ${printable(flags.comment)}` : ''}\n`);
  });
}
