import { globMatcher } from '../glob.js';
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DiscoveryProblem } from '../manifest/discover.js';
import { fsError } from '../errors.js';
import { type Tier } from './config.js';
import type { Ledger } from './ledger.js';

export interface Candidate {
  file: string;
  name: string;
  folder: string;
  size: number;
  mtimeMs: number;
}

/** The backups in folders, by the configured name patterns (no recursion). */
export async function listCandidates(dirs: string[], patterns: string[]): Promise<{ candidates: Candidate[]; problems: DiscoveryProblem[] }> {
  const isBackup = globMatcher(patterns);
  const candidates: Candidate[] = [];
  const problems: DiscoveryProblem[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      problems.push({ file: dir, message: fsError(err, dir).message });
      continue;
    }
    for (const name of names.filter((n) => !n.startsWith('.') && isBackup(n))) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s?.isFile()) candidates.push({ file: join(dir, name), name, folder: dir, size: s.size, mtimeMs: s.mtimeMs });
    }
  }
  return { candidates, problems };
}

/** Which of N parallel runners a backup belongs to: stable, by its path. */
export function shardOf(file: string, count: number): number {
  return createHash('sha256').update(file).digest().readUInt32BE(0) % count;
}

export interface SelectOptions {
  now?: number;
  /** stop adding backups once their sizes add up to this */
  maxBytes?: number;
  shard?: { index: number; count: number };
}

/**
 * The backups a tier checks this run, stalest first (never verified by this
 * check comes first): repeated runs under a budget cover everything in turn.
 */
export function selectForTier(all: Candidate[], tier: Tier, ledger: Ledger, opts: SelectOptions = {}): Candidate[] {
  const now = opts.now ?? Date.now();
  let pool = opts.shard ? all.filter((c) => shardOf(c.file, opts.shard!.count) === opts.shard!.index) : [...all];
  const byAge = [...pool].sort((a, b) => b.mtimeMs - a.mtimeMs);
  if (tier.newest !== undefined) pool = byAge.slice(0, tier.newest);
  if (tier.younger_than_days !== undefined) pool = pool.filter((c) => now - c.mtimeMs < tier.younger_than_days! * 86_400_000);
  if (tier.oldest_and_newest) pool = byAge.length <= 2 ? byAge : [byAge[0]!, byAge[byAge.length - 1]!];
  const stalest = pool.sort((a, b) => ledger.lastVerified(a.file, tier.check) - ledger.lastVerified(b.file, tier.check) || b.mtimeMs - a.mtimeMs);
  let chosen = tier.sample !== undefined ? stalest.slice(0, Math.max(1, Math.ceil(stalest.length * tier.sample))) : stalest;
  if (opts.maxBytes !== undefined) {
    const within: Candidate[] = [];
    let bytes = 0;
    for (const c of chosen) {
      if (within.length > 0 && bytes + c.size > opts.maxBytes) break;
      within.push(c);
      bytes += c.size;
    }
    chosen = within;
  }
  return chosen;
}
