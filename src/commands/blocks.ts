import type { Command } from 'commander';
import { verifyTarget } from '../core/checks/verify.js';
import { discover } from '../core/manifest/discover.js';
import type { CheckResult } from '../core/events/types.js';
import { jsonOption, threadsOption } from './options.js';
import { objectJobs } from './object-jobs.js';
import { problemResult, runJobs } from './runner.js';
import { isObjectUri } from '../core/storage/object-uri.js';
import { openSession } from './session.js';
import { BLOCK_MAP_SUFFIX } from '../core/manifest/names.js';

interface BlocksFlags {
  json?: boolean;
  threads?: number;
  verbose?: boolean;
  against?: string;
}

export function registerBlocks(program: Command): void {
  program
    .command('blocks')
    .description('verify a backup block by block against its block map and print the damaged regions')
    .argument('<file>', 'the backup (or its .blocks.json), or an object (s3://bucket/key?endpoint=…)')
    .option('--against <file>', 'a healthy copy of the backup: each damaged region is compared with it byte for byte (bits flipped, bursts, zeros)')
    .option('-v, --verbose', 'show hints as well as problems')
    .addOption(jsonOption())
    .addOption(threadsOption())
    .action(async (file: string, flags: BlocksFlags) => {
      const session = openSession({ threads: flags.threads, warm: flags.threads ?? Infinity });
      try {
        if (isObjectUri(file)) {
          process.exitCode = await runJobs(objectJobs([file], { blocksOnly: true, signal: session.signal }), flags);
          return;
        }
        const { targets, problems } = await discover([file]);
        const leading: CheckResult[] = problems.map(problemResult);
        const jobs = [];
        for (const t of targets) {
          const maps = t.expectations.filter((e) => e.kind === 'block-map');
          if (maps.length === 0) {
            leading.push(problemResult({ file: t.file, message: `${t.file}: no block map (${t.file}${BLOCK_MAP_SUFFIX} not found); create one with \`restorable manifest --blocks\`` }));
            continue;
          }
          const target = { ...t, expectations: maps };
          jobs.push({ file: t.file, run: () => verifyTarget(target, { pool: session.pool, signal: session.signal }, { blocks: true, against: flags.against }) });
        }
        process.exitCode = await runJobs(jobs, flags, { leading, nothingFound: `0 backups found in ${file}` });
      } finally {
        await session.close();
      }
    });
}
