import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { describeFsError, isFsError } from '../errors.js';
import type { SecretKey, TrustedKey } from './keys.js';
import { ALG_PREHASHED, SIGNATURE_SUFFIX, globallySigned, keyIdHex, parseSignature, renderSignature } from './minisign-format.js';
import { blake2bOf, blake2bOfFile, ed25519Sign, ed25519Verify } from './primitives.js';

/** Signature files are four short lines; a large one is not one. */
const MAX_SIGNATURE_BYTES = 64 * 1024;

/**
 * FILE.minisig for `data` (the bytes of a file called `name`), as `minisign -S`
 * writes it: prehashed Ed25519, and a trusted comment with the time and name.
 */
export async function signatureText(data: Uint8Array, name: string, key: SecretKey, now = new Date()): Promise<string> {
  const signature = ed25519Sign(await blake2bOf(data, 512), key.seed);
  const trustedComment = `timestamp:${Math.floor(now.getTime() / 1000)}\tfile:${name}\thashed`;
  const globalSignature = ed25519Sign(globallySigned(signature, trustedComment), key.seed);
  return renderSignature({ algorithm: ALG_PREHASHED, keyId: key.keyId, signature, trustedComment, globalSignature });
}

export function signaturePath(file: string): string {
  return `${file}${SIGNATURE_SUFFIX}`;
}

/** What checking FILE.minisig against the trusted keys found; `signature` is its path. */
export type SignatureVerdict =
  | { state: 'valid'; signature: string; keyId: string; trustedComment: string }
  | { state: 'missing'; signature: string }
  /** signed, but by a key not among the trusted ones */
  | { state: 'other_key'; signature: string; keyId: string }
  /** the file's bytes (part 'file') or the trusted comment (part 'comment') are not what was signed */
  | { state: 'invalid'; signature: string; keyId: string; part: 'file' | 'comment' }
  | { state: 'malformed'; signature: string; problem: string }
  /** the signature or the file could not be read (permissions, I/O): not evidence of tampering */
  | { state: 'unreadable'; signature: string; problem: string };

export type SignatureState = SignatureVerdict['state'];

/** Checks `file` against `file.minisig` as `minisign -V` does, with any of `keys`. */
export async function verifySignature(file: string, keys: readonly TrustedKey[]): Promise<SignatureVerdict> {
  const sigPath = signaturePath(file);
  let text: string;
  try {
    const bytes = await readFile(sigPath);
    if (bytes.length > MAX_SIGNATURE_BYTES) return { state: 'malformed', signature: sigPath, problem: `${bytes.length} bytes is too large for a signature file` };
    text = bytes.toString('utf8');
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return { state: 'missing', signature: sigPath };
    return { state: 'unreadable', signature: sigPath, problem: describeFsError(err, sigPath) };
  }
  const parts = parseSignature(text);
  if (typeof parts === 'string') return { state: 'malformed', signature: sigPath, problem: parts };
  const keyId = keyIdHex(parts.keyId);
  const key = keys.find((k) => k.keyId.equals(parts.keyId));
  if (!key) return { state: 'other_key', signature: sigPath, keyId };

  let signed: Uint8Array;
  try {
    // Legacy "Ed" signatures cover the file itself; minisign refuses those over 1 GiB, and manifests are smaller.
    signed = parts.algorithm === ALG_PREHASHED ? await blake2bOfFile(file) : await readFile(file);
  } catch (err) {
    return { state: 'unreadable', signature: sigPath, problem: describeFsError(err, file) };
  }
  if (!ed25519Verify(signed, parts.signature, key.publicKey)) return { state: 'invalid', signature: sigPath, keyId, part: 'file' };
  if (!ed25519Verify(globallySigned(parts.signature, parts.trustedComment), parts.globalSignature, key.publicKey)) {
    return { state: 'invalid', signature: sigPath, keyId, part: 'comment' };
  }
  return { state: 'valid', signature: sigPath, keyId, trustedComment: parts.trustedComment };
}

/** One sentence about a verdict that is not `valid`, naming the manifest (for findings and errors). */
export function describeVerdict(file: string, v: SignatureVerdict, trusted: readonly TrustedKey[]): string {
  const sig = basename(v.signature);
  switch (v.state) {
    case 'valid':
      return `${file}: signed by trusted key ${v.keyId}`;
    case 'missing':
      return `${file}: no signature (${sig} not found)`;
    case 'other_key':
      return `${file}: signed by key ${v.keyId}, which is not trusted (trusted: ${trusted.map((k) => keyIdHex(k.keyId)).join(', ')})`;
    case 'invalid':
      return v.part === 'file'
        ? `${file}: modified since it was signed (its bytes do not match the signature in ${sig}, key ${v.keyId})`
        : `${file}: the trusted comment in ${sig} was altered (the global signature of key ${v.keyId} does not match it)`;
    case 'malformed':
      return `${file}: the signature file ${sig} is malformed: ${v.problem}`;
    case 'unreadable':
      return `${file}: cannot check its signature: ${v.problem}`;
  }
}
