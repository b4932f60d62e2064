import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyError, UsageError, describeFsError } from '../errors.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import { checksummedBytes, keyIdHex, parsePublicKey, parseSecretKey, renderPublicKey, renderSecretKey, type PublicKey } from './minisign-format.js';
import { blake2bOf, newSeed, publicKeyOf } from './primitives.js';

/** Key pairs in minisign's formats: what `restorable keygen` writes, `--sign` and `--trust` read. */

export interface TrustedKey extends PublicKey {
  file: string;
}

export interface SecretKey extends TrustedKey {
  seed: Buffer;
}

/** Key files are a few hundred bytes; anything large is not one (and is not read into memory). */
const MAX_KEY_FILE_BYTES = 64 * 1024;

async function readKeyFile(file: string): Promise<string> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new KeyError(file, 'is not a regular file');
    if (s.size > MAX_KEY_FILE_BYTES) throw new KeyError(file, `is ${s.size} bytes: not a minisign key file`);
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new UsageError(describeFsError(err, file));
  }
}

export async function loadPublicKey(file: string): Promise<TrustedKey> {
  const key = parsePublicKey(await readKeyFile(file));
  if (typeof key === 'string') throw new KeyError(file, key);
  return { ...key, file };
}

export async function loadSecretKey(file: string): Promise<SecretKey> {
  const key = parseSecretKey(await readKeyFile(file));
  if (typeof key === 'string') throw new KeyError(file, key);
  // `minisign -G -W` leaves the checksum zero; a filled-in one must match.
  const zero = key.checksum.every((b) => b === 0);
  if (!zero && !key.checksum.equals(await blake2bOf(checksummedBytes(key), 256))) {
    throw new KeyError(file, 'its checksum does not match its contents: the key file is damaged');
  }
  if (!publicKeyOf(key.seed).equals(key.publicKey)) throw new KeyError(file, 'its secret and public halves do not match: the key file is damaged');
  return { keyId: key.keyId, publicKey: key.publicKey, seed: key.seed, file };
}

export interface WrittenKeyPair {
  keyId: string;
  secretKey: string;
  publicKey: string;
}

/**
 * A new key pair: `out` (secret, mode 0600, unencrypted as `minisign -G -W`
 * writes it) and `out.pub`. Existing files are replaced only with `force`,
 * and both are checked before either is written, so no half pair is left.
 */
export async function writeKeyPair(out: string, opts: { force?: boolean } = {}): Promise<WrittenKeyPair> {
  const pub = `${out}.pub`;
  if (!opts.force) {
    for (const path of [out, pub]) {
      if (await access(path).then(() => true, () => false)) throw new UsageError(`${path}: already exists (use --force to replace it)`);
    }
  }
  // As minisign does: a missing key folder is made, readable by its owner only.
  await mkdir(dirname(out), { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw new UsageError(describeFsError(err, dirname(out)));
  });
  const seed = newSeed();
  const key = { keyId: randomBytes(8), seed, publicKey: publicKeyOf(seed) };
  const checksum = await blake2bOf(checksummedBytes(key), 256);
  await atomicWrite(out, renderSecretKey({ ...key, checksum }), { overwrite: opts.force, mode: 0o600 });
  await atomicWrite(pub, renderPublicKey(key), { overwrite: opts.force });
  return { keyId: keyIdHex(key.keyId), secretKey: out, publicKey: pub };
}
