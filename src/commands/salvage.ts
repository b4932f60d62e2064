import type { Command } from 'commander';
import { jsonOption, targetArg } from './options.js';

interface SalvageFlags {
  out: string;
  json?: boolean;
  verbose?: boolean;
}

export function registerSalvage(program: Command): void {
  program
    .command('salvage')
    .description('recover every member of a damaged tar archive that can still be had, past the damage; with NAME.contents.json each is verified by its sha256')
    .argument('<file>', 'a tar archive, plain or compressed (gzip, zstd, xz and bzip2 resume after damage; others stop at it)')
    .requiredOption('--out <dir>', 'an empty or new folder to write the recovered members into')
    .option('-v, --verbose', 'list every damaged and lost member')
    .addOption(jsonOption())
    .action(async (file: string, flags: SalvageFlags) => {
      const { salvage } = await import('../core/salvage/salvage.js');
      const { salvageText, salvageExitCode } = await import('../output/salvage-report.js');
      const { jsonText } = await import('../output/format.js');
      const run = salvage(targetArg(file), flags.out);
      let r = await run.next();
      while (!r.done) r = await run.next();
      const report = r.value;
      process.stdout.write(flags.json ? jsonText({ ok: salvageExitCode(report) === 0, ...report }) : salvageText(report, flags.verbose));
      process.exitCode = salvageExitCode(report);
    });
}
