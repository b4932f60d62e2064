/** The digest algorithms restorable reads and writes. */
export const ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha512', 'blake3', 'crc64nvme', 'crc32c'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const HEX_LENGTH: Record<Algorithm, number> = {
  md5: 32,
  sha1: 40,
  sha256: 64,
  sha512: 128,
  blake3: 64,
  crc64nvme: 16,
  crc32c: 8,
};

/**
 * Relative CPU cost per byte, measured on the reference 2-core machine
 * (DESIGN section 5). Used to spread algorithms over worker threads.
 */
export const RELATIVE_COST: Record<Algorithm, number> = {
  md5: 1.5,
  sha1: 0.7,
  sha256: 0.75,
  sha512: 1.5,
  blake3: 0.35,
  crc64nvme: 0.85,
  crc32c: 0.25,
};

/**
 * The checksums object stores keep beside each object (S3's full-object
 * CRC64NVME, CRC32C): recorded so a copy in a bucket can be compared with
 * the manifest without a download. They catch accidental change, not
 * tampering, so `verify` uses them only when a manifest has nothing better.
 */
export const STORE_CHECKSUMS: readonly Algorithm[] = ['crc64nvme', 'crc32c'];

export function isStoreChecksum(algorithm: Algorithm): boolean {
  return STORE_CHECKSUMS.includes(algorithm);
}

export function isAlgorithm(name: string): name is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(name);
}

/** Parses "sha256,md5" (any case, spaces allowed); throws on unknown names. */
export function parseAlgorithmList(text: string): Algorithm[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/^sha-/, 'sha').replace(/^b3$/, 'blake3'))
    .filter(Boolean);
  const out: Algorithm[] = [];
  for (const name of names) {
    if (!isAlgorithm(name)) {
      throw new Error(`unknown algorithm "${name}" (known: ${ALGORITHMS.join(', ')})`);
    }
    if (!out.includes(name)) out.push(name);
  }
  if (out.length === 0) throw new Error('no algorithm given');
  return out;
}
