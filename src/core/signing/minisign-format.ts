/**
 * The minisign file formats (https://jedisct1.github.io/minisign/), byte for
 * byte, so that `minisign -V` checks our signatures and we check its own.
 * Each file is an "untrusted comment: …" line, then base64 of a fixed layout;
 * a signature adds a trusted comment and the global signature over both.
 * Parsing returns a problem string instead of throwing: callers decide whether
 * that is a usage error (a key) or a verdict (a signature).
 */

export const UNTRUSTED_PREFIX = 'untrusted comment: ';
export const TRUSTED_PREFIX = 'trusted comment: ';
export const SIGNATURE_SUFFIX = '.minisig';

/** "Ed": Ed25519 over the file itself (legacy); "ED": over its BLAKE2b-512 (what minisign writes). */
export const ALG_PURE = 'Ed';
export const ALG_PREHASHED = 'ED';
const KDF_SCRYPT = 'Sc';
const KDF_NONE = '\0\0';
const CHECKSUM_ALG = 'B2';

const KEY_ID_BYTES = 8;
const PUBLIC_KEY_BYTES = 2 + KEY_ID_BYTES + 32;
/** sig_alg, kdf_alg, chk_alg, salt(32), opslimit(8), memlimit(8), keyid, seed||pk (64), checksum (32) */
const SECRET_KEY_BYTES = 6 + 32 + 8 + 8 + KEY_ID_BYTES + 64 + 32;
const SIGNATURE_BYTES = 2 + KEY_ID_BYTES + 64;

export interface PublicKey {
  /** 8 bytes, in file order (minisign prints them as a little-endian number) */
  keyId: Buffer;
  publicKey: Buffer;
}

export interface SecretKeyParts extends PublicKey {
  seed: Buffer;
  /** BLAKE2b-256 of checksummedBytes(); all zeros in keys `minisign -G -W` writes */
  checksum: Buffer;
}

export interface SignatureParts {
  algorithm: typeof ALG_PURE | typeof ALG_PREHASHED;
  keyId: Buffer;
  signature: Buffer;
  trustedComment: string;
  globalSignature: Buffer;
}

/** "91BF8D89184B494F": the key id as minisign prints it. */
export function keyIdHex(keyId: Buffer): string {
  // As minisign prints it (printf "%" PRIX64): no leading zeros, so the two tools name a key alike.
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase().replace(/^0+(?=.)/, '');
}

/** Strict base64: Buffer.from would silently skip stray characters. */
function decodeBase64(text: string | undefined, what: string): Buffer | string {
  const line = (text ?? '').trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(line) || line.length % 4 !== 0) return `${what} is not base64`;
  return Buffer.from(line, 'base64');
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

/** What a base64 line of this length is, to name a key given in the wrong place. */
function describeLength(n: number): string {
  if (n === PUBLIC_KEY_BYTES) return 'a minisign public key';
  if (n === SECRET_KEY_BYTES) return 'a minisign secret key';
  if (n === SIGNATURE_BYTES) return 'a minisign signature';
  return `${n} bytes, which is no minisign key`;
}

export function parsePublicKey(text: string): PublicKey | string {
  const [comment, body] = lines(text);
  if (!comment?.startsWith(UNTRUSTED_PREFIX)) return `not a minisign public key (the first line should start with "${UNTRUSTED_PREFIX}")`;
  const raw = decodeBase64(body, 'the key line');
  if (typeof raw === 'string') return raw;
  if (raw.length === SECRET_KEY_BYTES) return 'is a secret key: give its public half (the .pub file) to trust it';
  if (raw.length !== PUBLIC_KEY_BYTES) return `the key line holds ${describeLength(raw.length)}, not a minisign public key`;
  if (raw.toString('latin1', 0, 2) !== ALG_PURE) return `unsupported signature algorithm "${raw.toString('latin1', 0, 2)}" (expected Ed25519, "Ed")`;
  return { keyId: raw.subarray(2, 10), publicKey: raw.subarray(10) };
}

export function renderPublicKey(key: PublicKey): string {
  const raw = Buffer.concat([Buffer.from(ALG_PURE, 'latin1'), key.keyId, key.publicKey]);
  return `${UNTRUSTED_PREFIX}minisign public key ${keyIdHex(key.keyId)}\n${raw.toString('base64')}\n`;
}

export function parseSecretKey(text: string): SecretKeyParts | string {
  const [comment, body] = lines(text);
  if (!comment?.startsWith(UNTRUSTED_PREFIX)) return `not a minisign secret key (the first line should start with "${UNTRUSTED_PREFIX}")`;
  const raw = decodeBase64(body, 'the key line');
  if (typeof raw === 'string') return raw;
  if (raw.length === PUBLIC_KEY_BYTES) return 'is a public key: signing needs the secret key (the file without .pub)';
  if (raw.length !== SECRET_KEY_BYTES) return `the key line holds ${describeLength(raw.length)}, not a minisign secret key`;
  const alg = raw.toString('latin1', 0, 2);
  const kdf = raw.toString('latin1', 2, 4);
  if (alg !== ALG_PURE) return `unsupported signature algorithm "${alg}" (expected Ed25519, "Ed")`;
  if (raw.toString('latin1', 4, 6) !== CHECKSUM_ALG) return 'unsupported checksum algorithm (expected BLAKE2b, "B2")';
  if (kdf === KDF_SCRYPT) {
    return 'is an encrypted minisign secret key, and restorable does not ask for passwords; make an unencrypted key with `minisign -G -W` (or remove the password with `minisign -C -W`), or use `restorable keygen`';
  }
  if (kdf !== KDF_NONE) return 'unsupported key derivation function (expected none or scrypt)';
  const keynum = raw.subarray(54);
  return {
    keyId: keynum.subarray(0, 8),
    seed: keynum.subarray(8, 40),
    publicKey: keynum.subarray(40, 72),
    checksum: keynum.subarray(72, 104),
  };
}

/** What the secret key's BLAKE2b-256 checksum covers: sig_alg || keyid || seed || pk. */
export function checksummedBytes(key: PublicKey & { seed: Buffer }): Buffer {
  return Buffer.concat([Buffer.from(ALG_PURE, 'latin1'), key.keyId, key.seed, key.publicKey]);
}

/** The unencrypted layout of `minisign -G -W`: zero salt and limits, the checksum filled in. */
export function renderSecretKey(key: PublicKey & { seed: Buffer; checksum: Buffer }): string {
  const header = Buffer.concat([Buffer.from(ALG_PURE + KDF_NONE + CHECKSUM_ALG, 'latin1'), Buffer.alloc(32 + 8 + 8)]);
  const raw = Buffer.concat([header, key.keyId, key.seed, key.publicKey, key.checksum]);
  return `${UNTRUSTED_PREFIX}minisign secret key ${keyIdHex(key.keyId)}, unencrypted\n${raw.toString('base64')}\n`;
}

/** The bytes the global signature covers: the file signature, then the trusted comment. */
export function globallySigned(signature: Buffer, trustedComment: string): Buffer {
  return Buffer.concat([signature, Buffer.from(trustedComment, 'utf8')]);
}

export function parseSignature(text: string): SignatureParts | string {
  const [comment, body, trusted, global] = lines(text);
  if (!comment?.startsWith(UNTRUSTED_PREFIX)) return `the first line should start with "${UNTRUSTED_PREFIX}"`;
  const raw = decodeBase64(body, 'the signature line (2)');
  if (typeof raw === 'string') return raw;
  if (raw.length !== SIGNATURE_BYTES) return `the signature line (2) holds ${describeLength(raw.length)}, not a signature`;
  const algorithm = raw.toString('latin1', 0, 2);
  if (algorithm !== ALG_PURE && algorithm !== ALG_PREHASHED) return `unsupported signature algorithm "${algorithm}"`;
  if (!trusted?.startsWith(TRUSTED_PREFIX)) return `line 3 should start with "${TRUSTED_PREFIX}"`;
  const globalSignature = decodeBase64(global, 'the global signature line (4)');
  if (typeof globalSignature === 'string') return globalSignature;
  if (globalSignature.length !== 64) return `the global signature line (4) holds ${globalSignature.length} bytes, not 64`;
  return { algorithm, keyId: raw.subarray(2, 10), signature: raw.subarray(10), trustedComment: trusted.slice(TRUSTED_PREFIX.length), globalSignature };
}

export function renderSignature(parts: SignatureParts): string {
  const raw = Buffer.concat([Buffer.from(parts.algorithm, 'latin1'), parts.keyId, parts.signature]);
  return [
    `${UNTRUSTED_PREFIX}signature from minisign secret key`,
    raw.toString('base64'),
    `${TRUSTED_PREFIX}${parts.trustedComment}`,
    parts.globalSignature.toString('base64'),
    '',
  ].join('\n');
}
