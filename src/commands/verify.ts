import type { Command } from 'commander';
import { resolve } from 'node:path';
import { verifyTarget } from '../core/checks/verify.js';
import type { Algorithm } from '../core/hash/algorithms.js';
import { discover } from '../core/manifest/discover.js';
import { algorithmsArg, jsonOption, listArg, threadsOption } from './options.js';
import { objectJobs } from './object-jobs.js';
import { problemUnderTrust, runJobs, type Job } from './runner.js';
import { isObjectUri } from '../core/storage/object-uri.js';
import { openSession } from './session.js';

interface VerifyFlags {
  quick?: boolean;
  blocks?: boolean;
  algo?: Algorithm[];
  json?: boolean;
  threads?: number;
  verbose?: boolean;
  trust?: string[];
  manifestLocation?: string;
  against?: string;
}

/** Verifies paths (files, folders or manifests) and returns the exit code. */
export async function verifyPaths(paths: string[], flags: VerifyFlags): Promise<number> {
  // Keys are read first: a bad one is a usage error before any backup is read.
  const trust = flags.trust ? await (await import('../core/signing/trust.js')).loadTrustedKeys(flags.trust.map((f) => resolve(f))) : undefined;
  const session = openSession({ threads: flags.threads, warm: flags.blocks ? (flags.threads ?? Infinity) : 1 });
  try {
    const objects = paths.filter(isObjectUri);
    const { targets, problems } = await discover(paths.filter((p) => !isObjectUri(p)));
    const ctx = { pool: session.pool, signal: session.signal };
    const jobs: Job[] = targets.map((t) => ({
      file: t.file,
      run: () => verifyTarget(t, ctx, { quick: flags.quick, blocks: flags.blocks, algorithms: flags.algo, trust, against: flags.against }),
    }));
    if (objects.length) jobs.push(...objectJobs(objects, { quick: flags.quick, trust, manifestLocation: flags.manifestLocation, signal: session.signal }));
    const leading = await Promise.all(problems.map((p) => problemUnderTrust(p, trust)));
    return await runJobs(jobs, flags, { leading, nothingFound: `0 backups found in ${paths.join(', ')}` });
  } finally {
    await session.close();
  }
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('verify backups against every manifest found (files, folders, or manifests such as SHA256SUMS)')
    .argument('<path...>', 'backup files, folders of backups, manifest files, or objects (s3://bucket/key?endpoint=…, r2://, b2://)')
    .option('--manifest-location <uri>', 'for objects: read their manifests from here rather than beside them')
    .option('--quick', 'compare sizes only (no reading of contents)')
    .option('--blocks', 'verify against block maps in parallel and locate damage')
    .option('--algo <list>', 'check only these algorithms (md5, sha1, sha256, sha512, blake3)', algorithmsArg)
    .option('--against <file>', 'a healthy copy of the backup: each damaged region is compared with it byte for byte (bits flipped, bursts, zeros)')
    .option('-v, --verbose', 'show hints as well as problems')
    .option('--trust <pub>', 'require every manifest used to carry a valid minisign signature (FILE.minisig) by one of these public keys; repeatable or comma-separated', listArg)
    .addOption(jsonOption())
    .addOption(threadsOption())
    .action(async (paths: string[], flags: VerifyFlags) => {
      process.exitCode = await verifyPaths(paths, flags);
    });
}
