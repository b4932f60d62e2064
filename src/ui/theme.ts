import type { BlockState, Status } from '../core/events/types.js';
import { isCheckFailure, isIntegrityFailure } from '../core/events/types.js';
import { STATUS_WORD } from '../output/style.js';
import { RESULTS_FILE_CHECK, strengthOf, type BackupState } from '../core/schedule/strength.js';

/**
 * Colours and glyphs. Every coloured thing also carries a glyph or a word,
 * so the screen reads the same with NO_COLOR and for colour-blind users.
 */
export const noColor = (): boolean => 'NO_COLOR' in process.env && process.env.NO_COLOR !== '';

/** A colour name for Ink's `color` prop, or undefined when colour is off. */
export function tint(color: string): string | undefined {
  return noColor() ? undefined : color;
}

export const GLYPH = {
  ok: '✓',
  bad: '✗',
  warn: '!',
  running: '…',
  queued: '○',
  unknown: '·',
  cursor: '›',
} as const;

export function statusLook(status: Status | string | undefined): { glyph: string; word: string; color?: string } {
  if (!status) return { glyph: GLYPH.unknown, word: 'unverified' };
  // The same words as the command line's reports.
  const word = STATUS_WORD[status as Status] ?? status.replace(/_/g, ' ');
  if (isIntegrityFailure(status as Status)) return { glyph: GLYPH.bad, word, color: tint('red') };
  if (isCheckFailure(status as Status)) return { glyph: GLYPH.warn, word, color: tint('yellow') };
  if (status === 'verified' || status === 'manifest_created') return { glyph: GLYPH.ok, word, color: tint('green') };
  return { glyph: GLYPH.unknown, word };
}

/**
 * How a backup's one state reads: a size that matches is "size ok", not
 * verified (nothing read the bytes); a pass nothing vouched for is "read to
 * end", as the command line says it.
 */
export function stateLook(state: Pick<BackupState, 'status' | 'check' | 'failing' | 'vouched'> | undefined): { glyph: string; word: string; color?: string } {
  if (!state) return statusLook(undefined);
  if (!state.failing && state.status === 'verified' && state.check !== RESULTS_FILE_CHECK && strengthOf(state.check) === 0) return { glyph: GLYPH.unknown, word: 'size ok' };
  if (state.status === 'verified' && state.vouched === false) return { ...statusLook(state.status), word: 'read to end' };
  // A drill proves the dump restores with its rows, not that its bytes are the ones written: as the command line says it.
  if (!state.failing && state.status === 'verified' && state.check === 'drill') return { ...statusLook(state.status), word: 'restored' };
  return statusLook(state.status);
}

/** One character per block-grid cell: distinct shapes, not only colours. */
export const CELL: Record<BlockState | 'pending', { char: string; color?: string; label: string }> = {
  pending: { char: '·', label: 'unread' },
  ok: { char: '■', color: 'green', label: 'ok' },
  corrupt: { char: 'X', color: 'red', label: 'corrupt' },
  transient: { char: '?', color: 'yellow', label: 'transient' },
  missing: { char: '_', color: 'red', label: 'missing' },
  extra: { char: '+', color: 'yellow', label: 'extra' },
  unreadable: { char: '!', color: 'red', label: 'unreadable' },
};
