import { join } from 'node:path';
import { z } from 'zod';
import { ManifestError } from '../errors.js';
import { atomicWrite } from './atomic-write.js';
import { fieldPath, parseJsonFile, readIfPresent } from './safe-json.js';

/**
 * `.integrity_results.json` in a backup folder: the last outcome per file, in
 * the layout existing scripts already read. Statuses beyond the original four
 * are allowed so newer checks can record what they found.
 */
export const RESULTS_FILE_NAME = '.integrity_results.json';


const sha256 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hexadecimal digits (sha256)');
const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected a date and time (ISO 8601)');
const size = z.number().int('expected a whole number of bytes').nonnegative('must not be negative');

// Loose objects: fields other tools wrote survive our rewrite of the file.
const entry = z.object({
  file: z.string().min(1, 'must not be empty'),
  checked_at: timestamp,
  size,
  status: z.string().regex(/^[a-z_]+$/, 'expected a status word such as verified or hash_mismatch'),
  hash: sha256.optional(),
  expected_hash: sha256.optional(),
  expected_size: size.optional(),
}).passthrough();

const resultsSchema = z.object({ last_check: timestamp, results: z.array(entry) }).passthrough();

export type ResultsFile = z.infer<typeof resultsSchema>;
export type ResultsEntry = z.infer<typeof entry>;

export function parseResultsFile(file: string, value: unknown): ResultsFile {
  const parsed = resultsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ManifestError(file, fieldPath(issue.path), issue.message);
  }
  return parsed.data;
}

/** The results file of a folder, or undefined when there is none. */
export async function readResultsFile(folder: string): Promise<ResultsFile | undefined> {
  const file = join(folder, RESULTS_FILE_NAME);
  const text = await readIfPresent(file);
  return text === undefined ? undefined : parseResultsFile(file, parseJsonFile(file, text));
}

/** Replaces the entries for the given files and keeps the others, atomically. */
export async function updateResultsFile(folder: string, entries: ResultsEntry[], now = new Date()): Promise<string> {
  const file = join(folder, RESULTS_FILE_NAME);
  const previous = await readResultsFile(folder);
  const existing = previous?.results ?? [];
  const replaced = new Set(entries.map((e) => e.file));
  const results = [...existing.filter((e) => !replaced.has(e.file)), ...entries];
  await atomicWrite(file, `${JSON.stringify({ ...previous, last_check: now.toISOString(), results }, null, 2)}\n`, { overwrite: true });
  return file;
}
