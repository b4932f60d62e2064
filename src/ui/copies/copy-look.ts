import { copyEvidence } from '../../output/report.js';
import { formatAge } from '../format-age.js';
import { GLYPH, statusLook, tint } from '../theme.js';
import type { CopiesRun, CopyKnown } from './copy-checks.js';

export interface CopyLook {
  glyph: string;
  word: string;
  color?: string;
}

const percent = (run: CopiesRun) => (run.progress && run.progress.total > 0 ? Math.floor((run.progress.done / run.progress.total) * 100) : 0);

/**
 * A copy's state in a glyph and a word (never colour alone): a check
 * running on it, else its last check, else "unchecked". `place` undefined:
 * the backup's row as a whole (any copy being read counts).
 */
export function copyLook(known: CopyKnown, run: CopiesRun | undefined, place?: string): CopyLook {
  if (run?.state === 'running' && (place === undefined || run.current === place || run.target === place)) {
    const doing = run.kind === 'heal' && run.steps.at(-1)?.id !== 'recheck' ? 'healing' : 'checking';
    return { glyph: GLYPH.running, word: `${doing} ${percent(run)}%`, color: tint('cyan') };
  }
  if (!known.status) return { glyph: GLYPH.unknown, word: 'unchecked' };
  return statusLook(known.status);
}

/** "ETag", "12% sampled by ranged reads", "read in full": known only for this session's checks. */
export function evidenceOf(known: CopyKnown): string {
  return known.result?.copy ? copyEvidence(known.result.copy) : known.status ? 'from the ledger' : '—';
}

export function checkedAgo(known: CopyKnown): string {
  return known.when ? `${formatAge(Date.parse(known.when))} ago` : '—';
}
