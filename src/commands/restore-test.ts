import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ExtractLimits } from '../core/archive/sandbox.js';
import { jsonOption, targetArg } from './options.js';
import { runJobs } from './runner.js';
import { openSession } from './session.js';
import { TAR_FORMATS } from '../core/archive/detect.js';

interface RestoreFlags {
  json?: boolean;
  verbose?: boolean;
  target?: string;
  tempDir?: string;
}

export function registerRestoreTest(program: Command): void {
  program
    .command('restore-test')
    .description('restore a backup into a temp folder (or --target), check it against the archive, report the time it took; the temp folder is always removed')
    .argument('<file>', `a tar archive (${TAR_FORMATS})`)
    .option('--target <dir>', 'restore here instead, and keep the result (must be empty or new)')
    .option('--temp-dir <dir>', 'where the temp folder is made (default: the system temp folder)')
    .option('-v, --verbose', 'show hints as well as problems')
    .addOption(jsonOption())
    .action(async (file: string, flags: RestoreFlags) => {
      const session = openSession({ warm: 0 });
      try {
        const { restoreTest } = await import('../core/checks/restore.js');
        const { DEFAULT_LIMITS } = await import('../core/archive/sandbox.js');
        const limits: ExtractLimits = DEFAULT_LIMITS;
        const path = targetArg(file);
        const jobs = [{ file: path, run: () => restoreTest(path, { target: flags.target ? resolve(flags.target) : undefined, tempDir: flags.tempDir, limits, signal: session.signal }) }];
        process.exitCode = await runJobs(jobs, flags);
      } finally {
        await session.close();
      }
    });
}
