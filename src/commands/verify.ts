import type { Command } from 'commander';
import { verifyTarget } from '../core/checks/verify.js';
import type { Algorithm } from '../core/hash/algorithms.js';
import { discover } from '../core/manifest/discover.js';
import { algorithmsArg, jsonOption, threadsOption } from './options.js';
import { problemResult, runJobs } from './runner.js';
import { openSession } from './session.js';

interface VerifyFlags {
  quick?: boolean;
  blocks?: boolean;
  algo?: Algorithm[];
  json?: boolean;
  threads?: number;
  verbose?: boolean;
}

/** Verifies paths (files, folders or manifests) and returns the exit code. */
export async function verifyPaths(paths: string[], flags: VerifyFlags): Promise<number> {
  const session = openSession({ threads: flags.threads, warm: flags.blocks ? (flags.threads ?? Infinity) : 1 });
  try {
    const { targets, problems } = await discover(paths);
    const ctx = { pool: session.pool, signal: session.signal };
    const jobs = targets.map((t) => ({
      file: t.file,
      run: () => verifyTarget(t, ctx, { quick: flags.quick, blocks: flags.blocks, algorithms: flags.algo }),
    }));
    return await runJobs(jobs, flags, { leading: problems.map(problemResult) });
  } finally {
    await session.close();
  }
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('verify backups against every manifest found (files, folders, or manifests such as SHA256SUMS)')
    .argument('<path...>', 'backup files, folders of backups, or manifest files')
    .option('--quick', 'compare sizes only (no reading of contents)')
    .option('--blocks', 'verify against block maps in parallel and locate damage')
    .option('--algo <list>', 'check only these algorithms (md5, sha1, sha256, sha512, blake3)', algorithmsArg)
    .option('-v, --verbose', 'show hints as well as problems')
    .addOption(jsonOption())
    .addOption(threadsOption())
    .action(async (paths: string[], flags: VerifyFlags) => {
      process.exitCode = await verifyPaths(paths, flags);
    });
}
