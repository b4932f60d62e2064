import { z } from 'zod';
import { ManifestError } from '../errors.js';
import { HEX_LENGTH, type Algorithm } from '../hash/algorithms.js';
import type { Expectation } from './model.js';
import { fieldPath } from './safe-json.js';

/**
 * NAME.manifest.json in both shapes people already have:
 *   legacy: { hash, size, created_at }                  (hash is sha256)
 *   full:   { backup_file, created_at, file_size, hashes: { md5, sha256, sha512 } }
 * (restorable adds crc64nvme and crc32c to hashes: what buckets keep per object)
 * restorable writes both sets of fields in one document so either reader accepts it.
 */

const hex = (algorithm: Algorithm) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${HEX_LENGTH[algorithm]}}$`), `expected ${HEX_LENGTH[algorithm]} hexadecimal digits (${algorithm})`)
    .transform((s) => s.toLowerCase());
const size = z.number().int('expected a whole number of bytes').nonnegative('must not be negative');
const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected a date and time (ISO 8601)');

const hashes = z
  .object({
    md5: hex('md5').optional(),
    sha1: hex('sha1').optional(),
    sha256: hex('sha256').optional(),
    sha512: hex('sha512').optional(),
    blake3: hex('blake3').optional(),
    crc64nvme: hex('crc64nvme').optional(),
    crc32c: hex('crc32c').optional(),
  })
  .refine((h) => Object.values(h).some(Boolean), 'lists no digest (expected md5, sha1, sha256, sha512 or blake3)');

const manifestSchema = z.object({
  backup_file: z.string().min(1, 'must not be empty').optional(),
  created_at: timestamp.optional(),
  file_size: size.optional(),
  hashes: hashes.optional(),
  size: size.optional(),
  hash: hex('sha256').optional(),
});

export interface JsonManifest {
  backupFile?: string;
  size?: number;
  digests: Partial<Record<Algorithm, string>>;
  createdAt?: string;
}

export function parseJsonManifest(file: string, value: unknown): JsonManifest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ManifestError(file, undefined, 'expected a JSON object');
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ManifestError(file, fieldPath(issue.path), issue.message);
  }
  const m = parsed.data;
  if (!m.hashes && !m.hash) throw new ManifestError(file, 'hashes', 'missing: the manifest has neither "hashes" nor "hash"');
  if (m.size !== undefined && m.file_size !== undefined && m.size !== m.file_size) {
    throw new ManifestError(file, 'size', `is ${m.size} but file_size is ${m.file_size}`);
  }
  const digests: Partial<Record<Algorithm, string>> = {};
  for (const [algo, value] of Object.entries(m.hashes ?? {})) if (value) digests[algo as Algorithm] = value;
  if (m.hash) {
    if (digests.sha256 && digests.sha256 !== m.hash) throw new ManifestError(file, 'hash', 'differs from hashes.sha256');
    digests.sha256 = m.hash;
  }
  return { backupFile: m.backup_file, size: m.file_size ?? m.size, digests, createdAt: m.created_at };
}

export function jsonExpectation(file: string, m: JsonManifest, listedName: string): Expectation {
  return { manifest: file, kind: 'json', listedName, size: m.size, digests: m.digests, createdAt: m.createdAt };
}
