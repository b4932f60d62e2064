import type { Command } from 'commander';
import type { Inventory } from '../core/inventory/inventory.js';
import { displayPath, formatBytes } from '../output/format.js';
import { statusLook } from '../ui/theme.js';
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
      const s = statusLook(b.last?.status);
      const when = b.last ? ` (${formatAge(Date.parse(b.last.checkedAt))} ago)` : '';
      lines.push(`  ${`${s.glyph} ${s.word}${when}`.padEnd(24)} ${b.name.padEnd(28)} ${formatBytes(b.size).padStart(9)} ${formatAge(b.mtimeMs).padStart(4)}  ${b.manifests.join(',') || '—'}`);
    }
  }
  for (const p of inv.problems) lines.push(`! ${p.message}`);
  lines.push('', 'Statuses are the last recorded ones. To check now: restorable verify DIR');
  return `${lines.join('\n')}\n`;
}

export async function inspect(dirs: string[]): Promise<number> {
  if (canInspect()) {
    // Ink draws nothing until exit when it thinks it runs in CI; on a real
    // terminal the inspector is interactive whatever CI says. Set before Ink loads.
    process.env.CI = '0';
    process.env.CONTINUOUS_INTEGRATION = '0';
    const { runInspector } = await import('../ui/run-inspector.js');
    return runInspector(dirs);
  }
  // Loaded here, not at start-up: the listing reads results files (zod) that other commands never need.
  const { scanFolders } = await import('../core/inventory/inventory.js');
  const inv = await scanFolders(dirs);
  process.stdout.write(renderInventory(inv));
  return inv.problems.length > 0 ? 2 : 0;
}

export function registerInspect(program: Command): void {
  program
    .argument('[dir...]', 'folders of backups to inspect (default: the current folder)')
    .action(async (dirs: string[]) => {
      process.exitCode = await inspect(dirs.length > 0 ? dirs : ['.']);
    });
}
