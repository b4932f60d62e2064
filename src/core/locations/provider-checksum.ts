import type { ObjectInfo, StoredChecksum } from '../storage/location.js';

/**
 * What a store's own checksums prove about a copy, without reading it.
 * Only sound evidence counts: a full-object checksum (S3 and R2 keep a
 * CRC64NVME for every new object, some a CRC32C, SHA-1 or SHA-256) is the
 * checksum of the bytes uploaded; a single-part ETag is their MD5; a
 * multipart ETag is the MD5 of the parts' MD5s, comparable only under the
 * part size it was made with. A composite checksum (of the parts'
 * checksums), an encrypted object's ETag or a B2 large file without its
 * SHA-1 proves nothing, and we say so. Each vouches for what was uploaded,
 * not for bytes that rot afterwards: only reads see that.
 */

/** What the copy should be: digests known from the manifest or a verified read. */
export interface Reference {
  size?: number;
  sha256?: string;
  md5?: string;
  /** part size → multipart ETag of the good bytes */
  etags: Record<string, string>;
  /** the good bytes' checksums of the kinds stores keep (crc64nvme, crc32c, sha1) */
  checksums?: Partial<Record<StoredChecksum, string>>;
}

/** etag and checksum-*: kept by the store since upload; at-rest: recomputed by the store over the stored bytes (S3 Batch Operations). */
export type Evidence = 'etag' | `checksum-${StoredChecksum}` | 'at-rest';

export type ProviderEvidence =
  | { verdict: 'match' | 'mismatch'; via: Evidence; expected: string; actual: string }
  | { verdict: 'unknown'; reason: string; partSizes?: number[] };

/** Strongest first: a full-object checksum any of these judges alone. */
const STORED_ORDER: StoredChecksum[] = ['sha256', 'sha1', 'crc64nvme', 'crc32c', 'crc32'];

/** How a report names a piece of evidence: the header the store sent it in. */
export function evidenceName(via: Evidence): string {
  return via === 'etag' ? 'ETag' : via === 'at-rest' ? 'checksum recomputed at rest' : `x-amz-${via}`;
}

const MiB = 1024 * 1024;
/** Part sizes that common uploaders use (aws cli 8 MiB, SDKs and rclone 5 MiB, s3cmd 15 MiB…). */
const COMMON_PART_SIZES = [5, 8, 15, 16, 10, 32, 50, 64, 100, 128].map((n) => n * MiB);

/** The part sizes a multipart ETag of `parts` parts over `size` bytes could have been made with. */
export function partSizeCandidates(size: number, parts: number, told?: number): number[] {
  if (told) return [told];
  const fits = (p: number) => p > 0 && Math.ceil(size / p) === parts;
  const even = Math.ceil(size / parts);
  const out = [...COMMON_PART_SIZES, Math.ceil(even / MiB) * MiB, even].filter(fits);
  return [...new Set(out)].slice(0, 4);
}

/** The reference's value for a checksum kind (sha256 and md5 live beside the others). */
export function known(ref: Reference, algorithm: StoredChecksum | 'md5'): string | undefined {
  return algorithm === 'sha256' ? ref.sha256 : algorithm === 'md5' ? ref.md5 : ref.checksums?.[algorithm];
}

/** The stored checksum kinds a copy carries that the reference has no value for yet: a verified read can learn them. */
export function unknownChecksums(info: ObjectInfo, ref: Reference): StoredChecksum[] {
  return STORED_ORDER.filter((a) => info.checksums?.[a] && !known(ref, a));
}

export function providerEvidence(info: ObjectInfo, ref: Reference): ProviderEvidence {
  // Any full-object checksum that disagrees decides; else the strongest that agrees.
  const comparable = STORED_ORDER.filter((a) => info.checksums?.[a] && known(ref, a));
  const compared = comparable.map((a) => ({ via: `checksum-${a}` as Evidence, expected: known(ref, a)!, actual: info.checksums![a]! }));
  const wrong = compared.find((c) => c.actual !== c.expected);
  if (wrong) return { verdict: 'mismatch', ...wrong };
  if (compared[0]) return { verdict: 'match', ...compared[0] };
  return etagEvidence(info, ref);
}

function etagEvidence(info: ObjectInfo, ref: Reference): ProviderEvidence {
  const etag = info.etag?.toLowerCase();
  const composite = info.checksumType === 'COMPOSITE' ? ' (its checksum is a composite of the parts\' checksums)' : '';
  if (!etag) return { verdict: 'unknown', reason: `the store gives no checksum${composite}` };
  const multipart = /^([0-9a-f]{32})-(\d+)$/.exec(etag);
  if (/^[0-9a-f]{32}$/.test(etag)) {
    if (!ref.md5) return { verdict: 'unknown', reason: `the ETag is an MD5, but no MD5 of the good bytes is known yet${composite}` };
    return { verdict: etag === ref.md5 ? 'match' : 'mismatch', via: 'etag', expected: ref.md5, actual: etag };
  }
  if (multipart) {
    const parts = Number(multipart[2]);
    const sizes = partSizeCandidates(info.size, parts, info.partSize);
    const known = sizes.filter((p) => ref.etags[p] !== undefined);
    if (known.length === 0) return { verdict: 'unknown', reason: `multipart ETag (${parts} parts): the part size is not known yet${composite}`, partSizes: sizes };
    const hit = known.find((p) => ref.etags[p] === etag);
    if (hit !== undefined) return { verdict: 'match', via: 'etag', expected: ref.etags[hit]!, actual: etag };
    // A different ETag under a guessed part size proves nothing; under the size the store told, it is a mismatch.
    if (info.partSize) return { verdict: 'mismatch', via: 'etag', expected: ref.etags[info.partSize]!, actual: etag };
    return { verdict: 'unknown', reason: `multipart ETag (${parts} parts) matches none of the part sizes tried (${known.map((p) => `${p / MiB} MiB`).join(', ')})`, partSizes: sizes };
  }
  return { verdict: 'unknown', reason: 'the ETag is not an MD5 (an encrypted object, or a store that computes it otherwise)' };
}
