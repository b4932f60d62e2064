import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { readConfigFile } from '../config-file.js';

/**
 * The scan configuration (--config, JSON or YAML): which files are backups,
 * and the tiers, each a policy over the checks. Every field has a default,
 * so a scan runs without any file.
 */

export const DEFAULT_PATTERNS = ['*.tar.gz', '*.tgz', '*.tar', '*.tar.zst', '*.sql.gz', '*.sql', '*.dump'];

const positive = z.number().positive('must be positive');
const check = z.enum(['quick', 'hash', 'blocks', 'deep', 'restore', 'drill']);

const tierSchema = z
  .object({
    check,
    /** the N newest backups */
    newest: z.number().int('expected a whole number').positive('must be positive').optional(),
    /** backups younger than this many days */
    younger_than_days: positive.optional(),
    /** a random sample of this fraction (0-1], stalest first */
    sample: z.number().gt(0, 'must be more than 0').max(1, 'must be at most 1').optional(),
    /** the oldest and the newest backup */
    oldest_and_newest: z.boolean().optional(),
    /** how often the tier runs, in hours: a backup it chose and has not verified within two periods is alerted */
    period_hours: positive.optional(),
    /** drill tiers: whom the servers run as when the scan runs as root */
    run_as: z.string().min(1, 'must not be empty').optional(),
    /** drill tiers: the expectations file (min_rows, probes), relative to this config */
    expect: z.string().min(1, 'must not be empty').optional(),
    /** drill tiers: where the servers' throwaway folders go */
    temp_dir: z.string().min(1, 'must not be empty').optional(),
    /** drill tiers: how far, in percent, a table's rows may fall since the last drill of its series */
    max_drop_percent: z.number().min(0, 'must be 0 to 100').max(100, 'must be 0 to 100').optional(),
  })
  .strict()
  .refine((t) => t.check === 'drill' || (t.run_as ?? t.expect ?? t.temp_dir ?? t.max_drop_percent) === undefined, { message: 'run_as, expect, temp_dir and max_drop_percent are for drill tiers (check: drill)' });

const configSchema = z
  .object({
    patterns: z.array(z.string().min(1, 'must not be empty')).min(1, 'needs at least one pattern').optional(),
    tiers: z.record(tierSchema).optional(),
    state_dir: z.string().optional(),
  })
  .passthrough();

export type Tier = z.infer<typeof tierSchema>;
export type CheckName = z.infer<typeof check>;

export interface ScanConfig {
  patterns: string[];
  tiers: Record<string, Tier>;
  stateDir?: string;
  /** the whole document, for sections read elsewhere (alert channels) */
  raw: Record<string, unknown>;
}

export const DEFAULT_TIERS: Record<string, Tier> = {
  hourly: { check: 'quick', newest: 5, period_hours: 1 },
  daily: { check: 'hash', younger_than_days: 7, period_hours: 24 },
  weekly: { check: 'blocks', sample: 0.1, period_hours: 24 * 7 },
  monthly: { check: 'restore', oldest_and_newest: true, period_hours: 24 * 31 },
};

/** Reads and validates a config file; errors name the file and the field. */
export async function loadConfig(path: string | undefined): Promise<ScanConfig> {
  if (!path) return { patterns: DEFAULT_PATTERNS, tiers: DEFAULT_TIERS, raw: {} };
  const c = await readConfigFile(path, configSchema);
  // A drill tier's expectations file is found beside the config, wherever the scan runs from.
  for (const t of Object.values(c.tiers ?? {})) if (t.expect) t.expect = resolve(dirname(path), t.expect);
  return { patterns: c.patterns ?? DEFAULT_PATTERNS, tiers: { ...DEFAULT_TIERS, ...(c.tiers ?? {}) }, stateDir: c.state_dir, raw: c as Record<string, unknown> };
}
