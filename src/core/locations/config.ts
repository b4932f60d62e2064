import { globMatcher } from '../glob.js';
import { parseBudget } from '../../output/format.js';
import { z } from 'zod';
import { ManifestError } from '../errors.js';
import { fieldPath } from '../manifest/safe-json.js';
import { parseLocationUri, type LocationSpec } from '../storage/uri.js';
import type { LockPolicy } from './object-lock.js';

/**
 * The config file's storage sections (the same --config file as `scan`):
 *
 *   locations:
 *     local: /backups
 *     r2: { uri: "r2://backups/prod?account=ID", access_key_id: …, secret_access_key: … }
 *     vault: { uri: "s3://vault/prod", object_lock: { mode: compliance, min_days: 30 } }
 *   location_check:
 *     recent_days: 30        # backups newer than this are checked
 *     limit: 100             # at most this many per run, newest first
 *     sample: 10%            # blocks sampled where no provider checksum vouches
 *     max_egress: 10GiB      # download at most this from each bucket per run
 *     manifest_location: s3://audit/manifests
 *     rules:                 # the first rule whose pattern matches decides
 *       - { match: "*.wal.gz", not_expected_in: [local] }
 */

const locationEntry = z.union([
  z.string().min(1, 'must not be empty'),
  z
    .object({
      uri: z.string().min(1, 'must not be empty'),
      endpoint: z.string().optional(),
      region: z.string().optional(),
      path_style: z.boolean().optional(),
      account: z.string().optional(),
      access_key_id: z.string().optional(),
      secret_access_key: z.string().optional(),
      session_token: z.string().optional(),
      /** every copy here must be under S3 Object Lock: at least min_days more, in compliance mode if given */
      object_lock: z
        .object({ mode: z.enum(['compliance', 'governance']).optional(), min_days: z.number().nonnegative('must not be negative') })
        .strict()
        .optional(),
    })
    .strict(),
]);

const rule = z
  .object({
    match: z.string().min(1, 'must not be empty'),
    expected_in: z.array(z.string()).optional(),
    not_expected_in: z.array(z.string()).optional(),
  })
  .strict();

const checkSection = z
  .object({
    recent_days: z.number().positive('must be positive').optional(),
    limit: z.number().int('expected a whole number').positive('must be positive').optional(),
    sample: z.union([z.number().gt(0).max(1), z.string().regex(/^\d+(\.\d+)?%$/, 'expected a percentage such as 10%')]).optional(),
    max_egress: z.union([z.number().int().nonnegative(), z.string()]).optional(),
    manifest_location: z.string().optional(),
    rules: z.array(rule).optional(),
  })
  .strict();

export type LocationRule = z.infer<typeof rule>;

export interface LocationCheckConfig {
  locations: LocationSpec[];
  recentDays: number;
  limit: number;
  sample?: number;
  /** bytes each bucket location may send per run */
  maxEgress?: number;
  manifestLocation?: string;
  rules: LocationRule[];
  /** location name → the Object Lock its copies must have */
  objectLock: Record<string, LockPolicy>;
}

export const DEFAULT_RECENT_DAYS = 30;
export const DEFAULT_LIMIT = 100;

/** Reads the sections from a loaded config document; errors name the file and the field. */
export function locationConfig(file: string | undefined, raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): LocationCheckConfig {
  const parse = <T>(schema: z.ZodType<T>, value: unknown, at: string): T => {
    const r = schema.safeParse(value);
    if (!r.success) throw new ManifestError(file ?? 'config', [at, fieldPath(r.error.issues[0]!.path)].filter(Boolean).join('.'), r.error.issues[0]!.message);
    return r.data;
  };
  const entries = parse(z.record(locationEntry), raw.locations ?? {}, 'locations');
  const check = parse(checkSection, raw.location_check ?? {}, 'location_check');
  const objectLock: Record<string, LockPolicy> = {};
  const locations = Object.entries(entries).map(([name, entry]) => {
    let spec: LocationSpec;
    try {
      spec = typeof entry === 'string' ? parseLocationUri(name, entry, {}, env) : parseLocationUri(name, entry.uri, withoutPolicy(entry), env);
    } catch (err) {
      throw new ManifestError(file ?? 'config', `locations.${name}`, (err as Error).message.replace(/^location [^:]+: /, ''));
    }
    if (typeof entry !== 'string' && entry.object_lock) {
      if (spec.kind !== 's3') throw new ManifestError(file ?? 'config', `locations.${name}.object_lock`, 'applies to buckets only (S3 Object Lock); this location is a folder');
      objectLock[name] = { mode: entry.object_lock.mode, minDays: entry.object_lock.min_days };
    }
    return spec;
  });
  return {
    locations,
    recentDays: check.recent_days ?? DEFAULT_RECENT_DAYS,
    limit: check.limit ?? DEFAULT_LIMIT,
    sample: typeof check.sample === 'string' ? parseFloat(check.sample) / 100 : check.sample,
    maxEgress: check.max_egress === undefined ? undefined : sizeIn(file, check.max_egress),
    manifestLocation: check.manifest_location,
    rules: check.rules ?? [],
    objectLock,
  };
}

/** Whether a location is expected to hold this backup: the first matching rule decides; by default, yes. */
export function expectedIn(rules: LocationRule[], backup: string, location: string): boolean {
  const name = backup.split('/').pop()!;
  const hit = rules.find((r) => {
    const matches = globMatcher([r.match]);
    return matches(name) || matches(backup);
  });
  if (!hit) return true;
  if (hit.expected_in) return hit.expected_in.includes(location);
  if (hit.not_expected_in) return !hit.not_expected_in.includes(location);
  return true;
}

function sizeIn(file: string | undefined, value: number | string): number {
  if (typeof value === 'number') return value;
  try {
    return parseBudget(value);
  } catch (err) {
    throw new ManifestError(file ?? 'config', 'location_check.max_egress', (err as Error).message);
  }
}

/** The entry's storage settings, without the checks' policy. */
function withoutPolicy<T extends { object_lock?: unknown }>(entry: T): Omit<T, 'object_lock'> {
  const { object_lock: _policy, ...settings } = entry;
  return settings;
}
