import { z } from 'zod';
import { readConfigFile } from '../config-file.js';

/**
 * The scan configuration (--config, JSON or YAML): which files are backups,
 * and the tiers, each a policy over the checks. Every field has a default,
 * so a scan runs without any file.
 */

export const DEFAULT_PATTERNS = ['*.tar.gz', '*.tgz', '*.tar', '*.tar.zst', '*.sql.gz', '*.sql', '*.dump'];

const positive = z.number().positive('must be positive');
const check = z.enum(['quick', 'hash', 'blocks', 'deep', 'restore']);

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
  })
  .strict();

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
  return { patterns: c.patterns ?? DEFAULT_PATTERNS, tiers: { ...DEFAULT_TIERS, ...(c.tiers ?? {}) }, stateDir: c.state_dir, raw: c as Record<string, unknown> };
}
