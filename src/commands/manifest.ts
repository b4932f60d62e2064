import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_BLOCK_SIZE, createManifests } from '../core/checks/create.js';
import type { Algorithm } from '../core/hash/algorithms.js';
import { algorithmsArg, blockSizeArg, jsonOption, threadsOption } from './options.js';
import { runJobs } from './runner.js';
import { openSession } from './session.js';

interface ManifestFlags {
  algo: Algorithm[];
  blocks?: boolean;
  blockSize?: number;
  sha256sum?: boolean;
  force?: boolean;
  contents?: boolean;
  restartPoints?: boolean;
  crc?: boolean;
  sign?: string;
  json?: boolean;
  threads?: number;
}

export function registerManifest(program: Command): void {
  program
    .command('manifest')
    .description('write sidecar manifests (NAME.manifest.json, and on request NAME.blocks.json and NAME.sha256) from one read of each backup')
    .argument('<file...>', 'backup files')
    .option('--algo <list>', 'digests to record; sha256 is always included', algorithmsArg, ['sha256'] as Algorithm[])
    .option('--no-crc', 'leave out the CRC64NVME and CRC32C, which let `locations` compare a copy in a bucket with the bucket\'s own checksum, without a download')
    .option('--blocks', 'also write a block map NAME.blocks.json')
    .option('--block-size <size>', 'block size of the block map, 4KiB to 1GiB (implies --blocks)', blockSizeArg)
    .option('--sha256sum', 'also write NAME.sha256, which `sha256sum -c` accepts')
    .option('--contents', 'also write NAME.contents.json: each member of a tar archive, its offset and sha256, and restart points where salvage can resume after damage')
    .option('--no-restart-points', 'with --contents: leave the restart points out (a smaller index; salvage of a .tar.gz then stops at damage)')
    .option('--force', 'replace manifests that already exist')
    .option('--sign <key>', 'sign every manifest written with this minisign secret key (from `restorable keygen` or `minisign -G -W`): FILE.minisig beside each')
    .addOption(jsonOption())
    .addOption(threadsOption())
    .action(async (files: string[], flags: ManifestFlags) => {
      // A key that cannot sign is a usage error, reported before anything is written.
      const signer = flags.sign ? await (await import('../core/signing/keys.js')).loadSecretKey(resolve(flags.sign)) : undefined;
      const session = openSession({ threads: flags.threads });
      try {
        const blockSize = flags.blockSize ?? (flags.blocks ? DEFAULT_BLOCK_SIZE : undefined);
        const ctx = { pool: session.pool, signal: session.signal };
        const jobs = files.map((f) => resolve(f)).map((file) => ({
          file,
          run: () => createManifests(file, ctx, { algorithms: flags.algo, blockSize, sha256sum: flags.sha256sum, force: flags.force, contents: flags.contents, storeChecksums: flags.crc, restartPoints: flags.restartPoints, signer }),
        }));
        process.exitCode = await runJobs(jobs, flags);
      } finally {
        await session.close();
      }
    });
}
