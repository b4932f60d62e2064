import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Ed25519 from raw key bytes (node:crypto takes keys as DER or JWK, minisign
 * stores raw bytes) and BLAKE2b (hash-wasm: node:crypto has no BLAKE2b-256).
 */

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function privateKey(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function publicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function newSeed(): Buffer {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return Buffer.from(jwk.d!, 'base64url');
}

/** The public key a seed derives: a secret key file whose two halves disagree is damaged. */
export function publicKeyOf(seed: Buffer): Buffer {
  const jwk = createPublicKey(privateKey(seed)).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

export function ed25519Sign(data: Uint8Array, seed: Buffer): Buffer {
  return sign(null, data, privateKey(seed));
}

export function ed25519Verify(data: Uint8Array, signature: Buffer, raw: Buffer): boolean {
  try {
    return verify(null, data, publicKey(raw), signature);
  } catch {
    return false; // a public key that is not a curve point verifies nothing
  }
}

async function blake2b(bits: 256 | 512) {
  // Loaded on use: most commands never sign, and start-up time is paid by every cron run.
  const { createBLAKE2b } = await import('hash-wasm');
  const h = await createBLAKE2b(bits);
  h.init();
  return h;
}

export async function blake2bOf(data: Uint8Array, bits: 256 | 512): Promise<Buffer> {
  const h = await blake2b(bits);
  h.update(data);
  return Buffer.from(h.digest('binary'));
}

/** BLAKE2b-512 of a file, streamed: block maps of large backups run to hundreds of MiB. */
export async function blake2bOfFile(path: string): Promise<Buffer> {
  const h = await blake2b(512);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return Buffer.from(h.digest('binary'));
}
