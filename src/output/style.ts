import type { CheckResult, Status } from '../core/events/types.js';
import { isCheckFailure, isIntegrityFailure } from '../core/events/types.js';

/**
 * Colour is only ever added to text that already carries its meaning in a
 * glyph and a word, so output reads the same with NO_COLOR or in a pipe.
 */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  if ('NO_COLOR' in process.env && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
}

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export function paint(on: boolean): Paint {
  return { red: wrap(on, 31, 39), green: wrap(on, 32, 39), yellow: wrap(on, 33, 39), dim: wrap(on, 2, 22), bold: wrap(on, 1, 22) };
}

export const STATUS_WORD: Record<Status, string> = {
  verified: 'verified',
  manifest_created: 'created',
  size_mismatch: 'size mismatch',
  hash_mismatch: 'hash mismatch',
  corrupt_blocks: 'corrupt',
  missing: 'missing',
  no_manifest: 'no manifest',
  changed: 'changed',
  archive_damaged: 'damaged',
  deep_failed: 'deep failed',
  drill_failed: 'drill failed',
  tampered: 'tampered',
  empty: 'empty',
  deferred: 'deferred',
  error: 'error',
};

/** A pass that nothing vouched for: an archive read to its end with no checksum over its members' bytes. */
export function unvouched(r: Pick<CheckResult, 'status' | 'archive'>): boolean {
  return r.status === 'verified' && r.archive !== undefined && !r.archive.vouchedBy;
}

/** A pass of the size alone (`verify --quick`, the hourly tier): nothing read the bytes. */
export function sizeOnly(r: Pick<CheckResult, 'status' | 'checks'>): boolean {
  return r.status === 'verified' && r.checks.length > 0 && r.checks.every((c) => c === 'quick');
}

/** The word for a result's status: "read to end" for a pass nothing vouched for, "size ok" for a size that matched. */
export function statusWord(r: Pick<CheckResult, 'status' | 'archive' | 'checks'>): string {
  return unvouched(r) ? 'read to end' : sizeOnly(r) ? 'size ok' : drilled(r) ? 'restored' : STATUS_WORD[r.status];
}

/**
 * A drill that passed: the dump restored and every table has the rows the
 * dump holds. That is what it proves; not that each value is the one
 * backed up (a changed digit restores just as well), so not "verified".
 */
export function drilled(r: Pick<CheckResult, 'status' | 'checks'>): boolean {
  return r.status === 'verified' && r.checks.includes('drill');
}

/** ✓ intact, ✗ damaged, ! could not check, · left for a later run. */
export function statusGlyph(status: Status): string {
  if (status === 'deferred') return '·';
  if (isIntegrityFailure(status)) return '✗';
  if (isCheckFailure(status)) return '!';
  return '✓';
}

export function colorFor(status: Status, p: Paint): (s: string) => string {
  if (status === 'deferred') return p.dim;
  if (isIntegrityFailure(status)) return p.red;
  if (isCheckFailure(status)) return p.yellow;
  return p.green;
}
