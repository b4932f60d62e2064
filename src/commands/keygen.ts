import { jsonText } from '../output/format.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { EXIT } from '../core/errors.js';
import { displayPath } from '../output/format.js';
import { jsonOption } from './options.js';

interface KeygenFlags {
  out: string;
  force?: boolean;
  json?: boolean;
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('make an Ed25519 key pair in minisign format: PATH (secret, unencrypted, mode 0600) and PATH.pub, for manifest --sign PATH and verify --trust PATH.pub')
    .requiredOption('--out <path>', 'where to write the secret key; the public key goes to PATH.pub')
    .option('--force', 'replace a key pair that already exists')
    .addOption(jsonOption())
    .action(async (flags: KeygenFlags) => {
      const { writeKeyPair } = await import('../core/signing/keys.js');
      const pair = await writeKeyPair(resolve(flags.out), { force: flags.force });
      if (flags.json) {
        process.stdout.write(jsonText({ ok: true, ...pair }));
      } else {
        const secret = displayPath(pair.secretKey);
        const pub = displayPath(pair.publicKey);
        process.stdout.write(
          [
            `key id      ${pair.keyId}`,
            `secret key  ${secret}  (unencrypted: keep it secret, off the backup host if you can)`,
            `public key  ${pub}`,
            '',
            `sign:    restorable manifest FILE --sign ${secret}`,
            `verify:  restorable verify FILE --trust ${pub}   (or: minisign -V -p ${pub} -m MANIFEST)`,
            '',
          ].join('\n'),
        );
      }
      process.exitCode = EXIT.ok;
    });
}
