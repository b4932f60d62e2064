import { readFile, stat } from 'node:fs/promises';
import { ManifestError, fsError } from '../errors.js';
import type { StoredChecksum } from '../storage/location.js';
import { checksumHex, isChecksumHex } from '../storage/stored-checksum.js';

/**
 * The completion report of an S3 Batch Operations "Compute checksum" job:
 * S3 recomputed each object's checksum at rest, in any storage class, with
 * nothing downloaded. Unlike the checksum kept since upload, it vouches for
 * the bytes as they were stored when the job ran.
 *
 * The report is CSV without a header, in the columns of the
 * Report_CSV_20180820 schema: Bucket, Key (URL-encoded), VersionId,
 * TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage. A compute-checksum
 * job's ResultMessage is a JSON object naming the algorithm and the value
 * (base64 or hex); the field names are read loosely, as AWS words them in
 * more than one way. A row this cannot read is listed, never guessed at.
 */

export interface AtRestChecksum {
  algorithm: StoredChecksum | 'md5';
  hex: string;
  /** FULL_OBJECT or COMPOSITE; a composite one is not the object's checksum */
  type?: string;
}

export interface ChecksumReport {
  /** "s3://bucket/key" → what the job computed */
  objects: Map<string, AtRestChecksum>;
  /** rows that failed or could not be read: "s3://bucket/key: why" */
  problems: string[];
  /** when the report was written (its file's time): how old the evidence is */
  at: Date;
}

const ALGORITHMS: Record<string, AtRestChecksum['algorithm']> = { crc64nvme: 'crc64nvme', crc32c: 'crc32c', crc32: 'crc32', sha1: 'sha1', sha256: 'sha256', md5: 'md5' };

/** The fields of one CSV line (RFC 4180 quoting). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** The algorithm, value and type a ResultMessage names, or why not. */
function resultChecksum(message: string): AtRestChecksum | string {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(message) as Record<string, unknown>;
  } catch {
    return 'the result is not the JSON a compute-checksum job writes';
  }
  const field = (...names: string[]) => {
    const key = Object.keys(doc).find((k) => names.includes(k.toLowerCase().replace(/[_-]/g, '')));
    return key === undefined ? undefined : String(doc[key]);
  };
  const name = field('checksumalgorithm', 'algorithm');
  const algorithm = name && ALGORITHMS[name.toLowerCase().replace(/[_-]/g, '')];
  if (!algorithm) return `no checksum algorithm restorable knows (${name ?? 'none named'})`;
  const given = field('checksumhex', 'hex')?.toLowerCase();
  const hex = given !== undefined ? (isChecksumHex(algorithm, given) ? given : undefined) : checksumHex(algorithm, field('checksumbase64', 'checksum', 'checksumvalue', 'value'));
  if (!hex) return `no ${algorithm} value of the right length`;
  return { algorithm, hex, type: field('checksumtype', 'type')?.toUpperCase() };
}

export async function readChecksumReport(file: string): Promise<ChecksumReport> {
  let text: string;
  let at: Date;
  try {
    text = await readFile(file, 'utf8');
    at = (await stat(file)).mtime;
  } catch (err) {
    throw fsError(err, file);
  }
  const objects = new Map<string, AtRestChecksum>();
  const problems: string[] = [];
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  lines.forEach((line, i) => {
    const f = csvFields(line);
    if (f.length < 7) throw new ManifestError(file, `line ${i + 1}`, `expected 7 columns (Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage), found ${f.length}`);
    const [bucket, rawKey, , status, error, , message] = f as [string, string, string, string, string, string, string];
    let key: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    } catch {
      key = rawKey;
    }
    const where = `s3://${bucket}/${key}`;
    if (status.toLowerCase() !== 'succeeded') return void problems.push(`${where}: the job ${status || 'did not report'}${error ? ` (${error})` : ''}${message ? `: ${message}` : ''}`);
    const got = resultChecksum(message);
    if (typeof got === 'string') problems.push(`${where}: ${got}`);
    else objects.set(where, got);
  });
  return { objects, problems, at };
}
