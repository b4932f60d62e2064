import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { z } from 'zod';
import { ManifestError } from '../errors.js';
import type { CheckResult } from '../events/types.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import { fieldPath, parseJsonFile } from '../manifest/safe-json.js';
import type { SecretKey } from '../signing/keys.js';
import { strengthOf } from '../schedule/strength.js';

/**
 * A verification receipt: what one run checked, by which check and on
 * what evidence, how much of each backup it read, how long it took, and
 * what it found; signed with a minisign-format key, so an auditor can check
 * it offline with `minisign -V` (or `restorable receipt verify`).
 */

const check = z.object({
  backup: z.string(),
  check: z.string(),
  status: z.string(),
  /** for a copy in a storage location: where, and on what evidence */
  location: z.string().optional(),
  evidence: z.string().optional(),
  /** the fraction of the bytes read and checked */
  coverage: z.number().optional(),
  bytes: z.number().optional(),
  checked_at: z.string(),
  duration_ms: z.number(),
  /** the first thing wrong, when something was */
  problem: z.string().optional(),
});

const schema = z.object({
  format: z.literal('restorable-receipt/1'),
  tool: z.object({ name: z.literal('restorable'), version: z.string() }),
  host: z.string(),
  command: z.array(z.string()),
  started_at: z.string(),
  ended_at: z.string(),
  exit_code: z.number(),
  checks: z.array(check),
  summary: z.record(z.number()),
});

export type Receipt = z.infer<typeof schema>;

export function buildReceipt(opts: { version: string; command: string[]; startedAt: Date; endedAt?: Date; exitCode: number; results: CheckResult[] }): Receipt {
  const checks = opts.results.map((r) => ({
    backup: r.copy?.backup ?? r.file,
    // The strongest check the result rests on (verify runs the size check before the hash).
    check: r.copy ? 'locations' : ([...r.checks].sort((a, b) => strengthOf(b) - strengthOf(a))[0] ?? 'check'),
    status: r.status,
    ...(r.copy ? { location: r.copy.location, evidence: r.copy.evidence, coverage: r.copy.coverage } : {}),
    ...(r.size !== undefined ? { bytes: r.size } : {}),
    checked_at: r.checkedAt,
    duration_ms: r.durationMs,
    ...(r.findings.find((f) => f.severity === 'error') ? { problem: r.findings.find((f) => f.severity === 'error')!.message } : {}),
  }));
  const summary: Record<string, number> = {};
  for (const c of checks) summary[c.status] = (summary[c.status] ?? 0) + 1;
  return {
    format: 'restorable-receipt/1',
    tool: { name: 'restorable', version: opts.version },
    host: hostname(),
    command: opts.command,
    started_at: opts.startedAt.toISOString(),
    ended_at: (opts.endedAt ?? new Date()).toISOString(),
    exit_code: opts.exitCode,
    checks,
    summary,
  };
}

/** Writes the receipt (atomically) and, with a key, RECEIPT.minisig beside it. */
export async function writeReceipt(path: string, receipt: Receipt, key?: SecretKey): Promise<void> {
  const bytes = Buffer.from(`${JSON.stringify(receipt, null, 1)}\n`);
  await atomicWrite(path, bytes, { overwrite: true });
  if (key) {
    const { signatureText, signaturePath } = await import('../signing/signature.js');
    await writeFile(signaturePath(path), await signatureText(bytes, basename(path), key));
  }
}

export async function readReceipt(path: string): Promise<Receipt> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new ManifestError(path, undefined, err instanceof Error ? err.message : String(err));
  });
  const parsed = schema.safeParse(parseJsonFile(path, text));
  if (!parsed.success) throw new ManifestError(path, fieldPath(parsed.error.issues[0]!.path), `${parsed.error.issues[0]!.message} (not a restorable receipt)`);
  return parsed.data;
}
