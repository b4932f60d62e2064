import { interruptSignal } from './interrupt.js';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RestorableError, UsageError } from '../core/errors.js';
import { closeCommand } from './did-you-mean.js';
import type { Inventory } from '../core/inventory/inventory.js';
import type { CopyChecks } from '../ui/copies/copy-checks.js';
import { locationOptions, resolveLocationFlags, type LocationFlags } from './location-options.js';
import { displayPath, formatBytes, printable } from '../output/format.js';
import { stateLook } from '../ui/theme.js';
import { formatAge } from '../ui/format-age.js';

/** Whether the inspector can run here: it needs a terminal to draw on and to read keys from. */
export function canInspect(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.TERM !== 'dumb';
}

/** Without a terminal: the same list as plain text, no cursor codes. */
export function renderInventory(inv: Inventory): string {
  const lines: string[] = [];
  for (const folder of inv.folders) {
    const mine = inv.backups.filter((b) => b.folder === folder);
    lines.push(`${displayPath(folder) || '.'}: ${mine.length} backup${mine.length === 1 ? '' : 's'}`);
    for (const b of mine) {
      const s = stateLook(b.last);
      const when = b.last ? ` (${formatAge(Date.parse(b.last.checkedAt))} ago)` : '';
      lines.push(`  ${`${s.glyph} ${s.word}${when}`.padEnd(24)} ${printable(b.name).padEnd(28)} ${formatBytes(b.size).padStart(9)} ${formatAge(b.mtimeMs).padStart(4)}  ${b.manifests.join(',') || '—'}`);
    }
  }
  for (const p of inv.problems) lines.push(`! ${p.message}`);
  lines.push('', 'Statuses are the last recorded ones. To check now: restorable verify DIR');
  return `${lines.join('\n')}\n`;
}

/** The copy checks over --location and --config's locations; none without them (nothing loads). */
async function openCopies(flags: LocationFlags, stateDir: string): Promise<CopyChecks | undefined> {
  if (flags.manifestLocation) throw new UsageError('the inspector reads the manifests beside the backups; --manifest-location is for `locations` and `heal`');
  if (!flags.location?.length && !flags.config) return undefined;
  const { specs, config } = await resolveLocationFlags(flags);
  if (specs.length === 0) return undefined;
  const { CopyChecks } = await import('../ui/copies/copy-checks.js');
  return CopyChecks.open(specs, config.rules, stateDir);
}

/**
 * What the arguments name: folders to list, and a backup to open when one
 * file is given. A path that does not exist is an error before anything
 * opens (exit 2), and one that looks like a mistyped command says so.
 */
async function resolveTargets(args: string[], commands: string[]): Promise<{ dirs: string[]; focus?: string }> {
  const dirs: string[] = [];
  let focus: string | undefined;
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info) {
      const meant = closeCommand(arg, commands);
      if (meant) throw new UsageError(`unknown command '${arg}' (did you mean ${meant}?)`);
      throw new RestorableError(`${arg}: no such file or folder`);
    }
    if (info.isDirectory()) dirs.push(arg);
    else {
      dirs.push(dirname(arg));
      if (args.length === 1) focus = resolve(arg);
    }
  }
  return { dirs: [...new Set(dirs)], focus };
}

export async function inspect(args: string[], flags: LocationFlags & { runAs?: string } = {}, commands: string[] = []): Promise<number> {
  const { dirs, focus } = await resolveTargets(args, commands);
  if (canInspect()) {
    const { defaultStateDir } = await import('../core/schedule/ledger.js');
    const stateDir = defaultStateDir();
    const copies = await openCopies(flags, stateDir);
    // Ink draws nothing until exit when it thinks it runs in CI, and chalk turns
    // colour off whenever CI is set at all (even to 0); on a real terminal the
    // inspector is interactive and in colour whatever CI says. Before Ink loads.
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
    const { runInspector } = await import('../ui/run-inspector.js');
    return runInspector(dirs, interruptSignal, { stateDir, copies, focus, runAs: flags.runAs });
  }
  // Loaded here, not at start-up: the listing reads results files (zod) that other commands never need.
  const { scanFolders } = await import('../core/inventory/inventory.js');
  const inv = await scanFolders(dirs);
  if (focus) inv.backups = inv.backups.filter((b) => b.file === focus);
  process.stdout.write(renderInventory(inv));
  return inv.problems.length > 0 ? 2 : 0;
}

export function registerInspect(program: Command): void {
  // Positional: the inspector's --location and --config must not take those of `locations` and `heal`.
  program.enablePositionalOptions();
  locationOptions(program.argument('[dir...]', 'folders of backups to inspect (default: the current folder)'))
    .option('--run-as <user>', 'when run as root: the unprivileged user restore drills (D) run their servers as')
    .action(async (dirs: string[], flags: LocationFlags & { runAs?: string }) => {
    process.exitCode = await inspect(dirs.length > 0 ? dirs : ['.'], flags, program.commands.map((c) => c.name()));
  });
}
