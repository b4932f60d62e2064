import type { Command } from 'commander';
import { EXIT } from '../core/errors.js';
import type { AlertChannels } from '../core/report/alerts.js';
import { jsonText, printable } from '../output/format.js';
import { alertOptions, resolveChannels } from './alert-options.js';
import { mergeAndAlert } from './shards.js';
import { jsonOption, positiveArg, stateDirOption } from './options.js';

interface MergeFlags extends AlertChannels {
  stateDir?: string;
  shards?: number;
  json?: boolean;
}

export function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description('the verification ledger that sharded runs write in segments');
  alertOptions(
    ledger
      .command('merge')
      .description('fold the segments of sharded runs (scan/locations --shard) into one ledger, and decide the alerts once for all of them')
      .option('--shards <n>', 'merge only once all N shards have written their segments (what the last shard of a run does itself)', positiveArg)
      .addOption(stateDirOption())
      .addOption(jsonOption()),
  ).action(async (flags: MergeFlags) => {
    const { defaultStateDir } = await import('../core/schedule/ledger.js');
    const { merged, waitingFor } = await mergeAndAlert(flags.stateDir ?? defaultStateDir(), flags.shards, resolveChannels(flags, {}));
    // Shards still missing: nothing merged, and the caller should know it did not happen.
    process.exitCode = waitingFor.length ? EXIT.cannotCheck : EXIT.ok;
    if (flags.json) return void process.stdout.write(`${jsonText({ ok: waitingFor.length === 0, merged, waitingFor })}\n`);
    if (waitingFor.length) process.stdout.write(`not merged: waiting for ${waitingFor.map(printable).join(', ')}\n`);
    else if (merged.length) process.stdout.write(`merged ${merged.length} ${merged.length === 1 ? 'segment' : 'segments'} (${merged.map(printable).join(', ')}) into the ledger\n`);
    else process.stdout.write('no ledger segments to merge\n');
  });
}
