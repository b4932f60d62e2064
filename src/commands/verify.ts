import type { Command } from 'commander';
import { resolve } from 'node:path';
import { verifyTarget } from '../core/checks/verify.js';
import type { Algorithm } from '../core/hash/algorithms.js';
import { discover } from '../core/manifest/discover.js';
import { algorithmsArg, jsonOption, listArg, threadsOption } from './options.js';
import { problemUnderTrust, runJobs } from './runner.js';
import { openSession } from './session.js';

interface VerifyFlags {
  quick?: boolean;
  blocks?: boolean;
  algo?: Algorithm[];
  json?: boolean;
  threads?: number;
  verbose?: boolean;
  trust?: string[];
}

/** Verifies paths (files, folders or manifests) and returns the exit code. */
export async function verifyPaths(paths: string[], flags: VerifyFlags): Promise<number> {
  // Keys are read first: a bad one is a usage error before any backup is read.
  const trust = flags.trust ? await (await import('../core/signing/trust.js')).loadTrustedKeys(flags.trust.map((f) => resolve(f))) : undefined;
  const session = openSession({ threads: flags.threads, warm: flags.blocks ? (flags.threads ?? Infinity) : 1 });
  try {
    const { targets, problems } = await discover(paths);
    const ctx = { pool: session.pool, signal: session.signal };
    const jobs = targets.map((t) => ({
      file: t.file,
      run: () => verifyTarget(t, ctx, { quick: flags.quick, blocks: flags.blocks, algorithms: flags.algo, trust }),
    }));
    const leading = await Promise.all(problems.map((p) => problemUnderTrust(p, trust)));
    return await runJobs(jobs, flags, { leading });
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
    .option('--trust <pub>', 'require every manifest used to carry a valid minisign signature (FILE.minisig) by one of these public keys; repeatable or comma-separated', listArg)
    .addOption(jsonOption())
    .addOption(threadsOption())
    .action(async (paths: string[], flags: VerifyFlags) => {
      process.exitCode = await verifyPaths(paths, flags);
    });
}
