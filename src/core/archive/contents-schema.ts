import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import { ManifestError, type RestorableError } from '../errors.js';
import { fieldPath, parseJsonFile } from '../manifest/safe-json.js';
import type { ContentIndex } from './contents.js';

const count = z.number().int('expected a whole number').nonnegative('must not be negative');

const schema = z.object({
  file: z.string(),
  format: z.string(),
  file_size: count,
  uncompressed_size: count,
  created_at: z.string(),
  members: z.array(
    z.object({
      path: z.string(),
      type: z.string(),
      size: count,
      mode: count,
      offset: count,
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hexadecimal digits (sha256)').optional(),
    }),
  ),
  checkpoints: z.array(z.object({ compressed: count, uncompressed: count })).min(1, 'needs at least one checkpoint'),
  restart_points: z
    .array(
      z.object({
        compressed: count,
        bit: z.number().int().min(0).max(7).optional(),
        uncompressed: count.optional(),
        window: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64').optional(),
      }),
    )
    .optional(),
});

/** Reads and validates NAME.contents.json; a malformed one is an error naming the file and field. */
export function parseContentIndex(file: string, text: string): ContentIndex {
  const parsed = schema.safeParse(parseJsonFile(file, text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ManifestError(file, fieldPath(issue.path), issue.message);
  }
  return parsed.data;
}

/**
 * NAME.contents.json beside a backup, when there is one and it describes a
 * file of this size; `untrusted` (from --trust) rejects an unsigned or
 * forged one before it is believed.
 */
export async function loadContentIndex(
  file: string,
  size: number,
  untrusted?: (path: string) => Promise<RestorableError | undefined>,
): Promise<{ index?: ContentIndex; warning?: string }> {
  const path = `${file}.contents.json`;
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return {};
  const refused = await untrusted?.(path);
  if (refused) throw refused;
  const index = parseContentIndex(path, text);
  if (index.file_size !== size) return { warning: `${path} describes a file of ${index.file_size} bytes, not this one (${size}): not used` };
  return { index };
}
