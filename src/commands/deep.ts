import type { Command } from 'commander';
import type { ExtractLimits } from '../core/archive/sandbox.js';
import { jsonOption, positiveArg, sizeArg, targetArg } from './options.js';
import { runJobs } from './runner.js';
import { openSession } from './session.js';
import { TAR_FORMATS } from '../core/archive/detect.js';

interface DeepFlags {
  json?: boolean;
  verbose?: boolean;
  tempDir?: string;
  maxBytes?: number;
  maxRatio?: number;
  maxEntries?: number;
}

export function registerDeep(program: Command): void {
  program
    .command('deep')
    .description('deep archive check: read every member, extract into a sandbox, count files, check dumps; a salvage report when damaged')
    .argument('<file...>', `backups (${TAR_FORMATS}; .sql, .sql.gz; pg_dump custom), files or objects (s3://bucket/key?endpoint=…, r2://, b2://)`)
    .option('--temp-dir <dir>', 'where the sandbox folder is made (default: the system temp folder)')
    .option('--max-bytes <size>', 'stop when extraction would write more than this', sizeArg)
    .option('--max-ratio <n>', 'stop when the archive expands more than N times its compressed size', positiveArg)
    .option('--max-entries <n>', 'stop after this many members', positiveArg)
    .option('-v, --verbose', 'show hints as well as problems')
    .addOption(jsonOption())
    .action(async (files: string[], flags: DeepFlags) => {
      const session = openSession({ warm: 0 });
      try {
        const { deepCheck } = await import('../core/checks/deep.js');
        const { DEFAULT_LIMITS } = await import('../core/archive/sandbox.js');
        const limits: ExtractLimits = {
          ...DEFAULT_LIMITS,
          ...(flags.maxBytes ? { maxTotalBytes: flags.maxBytes } : {}),
          ...(flags.maxRatio ? { maxRatio: flags.maxRatio } : {}),
          ...(flags.maxEntries ? { maxEntries: flags.maxEntries } : {}),
        };
        const jobs = files.map(targetArg).map((file) => ({ file, run: () => deepCheck(file, { tempDir: flags.tempDir, limits, signal: session.signal }) }));
        process.exitCode = await runJobs(jobs, flags);
      } finally {
        await session.close();
      }
    });
}
