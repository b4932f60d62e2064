import { HEX_LENGTH } from '../hash/algorithms.js';
import type { StoredChecksum } from './location.js';

/** Hex digits of each checksum a store may keep, and of an MD5. */
export const CHECKSUM_HEX_LENGTH: Record<StoredChecksum | 'md5', number> = {
  crc64nvme: HEX_LENGTH.crc64nvme,
  crc32c: HEX_LENGTH.crc32c,
  crc32: 8,
  sha1: HEX_LENGTH.sha1,
  sha256: HEX_LENGTH.sha256,
  md5: HEX_LENGTH.md5,
};

/** Whether `hex` is a value of that checksum: hexadecimal, and of its length. */
export function isChecksumHex(algorithm: StoredChecksum | 'md5', hex: string): boolean {
  return hex.length === CHECKSUM_HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(hex);
}

/**
 * A checksum as stores send it (base64 of its big-endian bytes) in hex.
 * Undefined for a composite one ("…-N", of the parts' checksums, not the
 * object's) and for one of the wrong length (a store that filled in
 * another checksum): neither proves anything.
 */
export function checksumHex(algorithm: StoredChecksum | 'md5', b64: string | undefined): string | undefined {
  if (!b64 || b64.includes('-')) return undefined;
  const hex = Buffer.from(b64, 'base64').toString('hex');
  return isChecksumHex(algorithm, hex) ? hex : undefined;
}
