import type { ObjectInfo } from '../storage/location.js';

/**
 * What a provider's own checksum proves about a copy, without reading it.
 * Only sound evidence counts: a single-part ETag is the object's MD5; a
 * multipart ETag is the MD5 of the parts' MD5s, comparable only when we
 * recompute it with the same part size; x-amz-checksum-sha256 is the
 * object's SHA-256 only when it is a full-object checksum. Anything else
 * (encrypted objects, B2 large files) proves nothing, and we say so.
 */

/** What the copy should be: digests known from the manifest or a verified read. */
export interface Reference {
  size?: number;
  sha256?: string;
  md5?: string;
  /** part size → multipart ETag of the good bytes */
  etags: Record<string, string>;
}

export type ProviderEvidence =
  | { verdict: 'match' | 'mismatch'; via: 'etag' | 'checksum-sha256'; expected: string; actual: string }
  | { verdict: 'unknown'; reason: string; partSizes?: number[] };

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

export function base64ToHex(b64: string): string {
  return Buffer.from(b64, 'base64').toString('hex');
}

export function providerEvidence(info: ObjectInfo, ref: Reference): ProviderEvidence {
  const sha = info.checksumSha256;
  if (sha && !sha.includes('-') && info.checksumType !== 'COMPOSITE' && ref.sha256) {
    const actual = base64ToHex(sha);
    return { verdict: actual === ref.sha256 ? 'match' : 'mismatch', via: 'checksum-sha256', expected: ref.sha256, actual };
  }
  const etag = info.etag?.toLowerCase();
  if (!etag) return { verdict: 'unknown', reason: 'the store gives no checksum' };
  const multipart = /^([0-9a-f]{32})-(\d+)$/.exec(etag);
  if (/^[0-9a-f]{32}$/.test(etag)) {
    if (!ref.md5) return { verdict: 'unknown', reason: 'the ETag is an MD5, but no MD5 of the good bytes is known yet' };
    return { verdict: etag === ref.md5 ? 'match' : 'mismatch', via: 'etag', expected: ref.md5, actual: etag };
  }
  if (multipart) {
    const parts = Number(multipart[2]);
    const sizes = partSizeCandidates(info.size, parts, info.partSize);
    const known = sizes.filter((p) => ref.etags[p] !== undefined);
    if (known.length === 0) return { verdict: 'unknown', reason: `multipart ETag (${parts} parts): the part size is not known yet`, partSizes: sizes };
    const hit = known.find((p) => ref.etags[p] === etag);
    if (hit !== undefined) return { verdict: 'match', via: 'etag', expected: ref.etags[hit]!, actual: etag };
    // A different ETag under a guessed part size proves nothing; under the size the store told, it is a mismatch.
    if (info.partSize) return { verdict: 'mismatch', via: 'etag', expected: ref.etags[info.partSize]!, actual: etag };
    return { verdict: 'unknown', reason: `multipart ETag (${parts} parts) matches none of the part sizes tried (${known.map((p) => `${p / MiB} MiB`).join(', ')})`, partSizes: sizes };
  }
  return { verdict: 'unknown', reason: 'the ETag is not an MD5 (an encrypted object, or a store that computes it otherwise)' };
}
