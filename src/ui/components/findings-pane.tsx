import { Text } from 'ink';
import wrapAnsi from 'wrap-ansi';
import type { Finding } from '../../core/events/types.js';
import { GLYPH, tint } from '../theme.js';

export interface ScreenLine {
  text: string;
  color?: string;
}

/** Glyphed messages as screen lines: each wrapped to the width (never cut), its glyph on its first line. */
export function wrappedLines(items: { glyph: string; text: string; color?: string }[], width: number): ScreenLine[] {
  return items.flatMap(({ glyph, text, color }) =>
    wrapAnsi(`${glyph} ${text}`, Math.max(10, width - 2), { hard: true, trim: false })
      .split('\n')
      .map((line, i) => ({ text: i === 0 ? line : `  ${line}`, color })),
  );
}

/** A finding as a glyphed, coloured message: ✗ for an error, ! for a warning. */
export const findingItem = (f: Finding) => ({ glyph: f.severity === 'error' ? GLYPH.bad : GLYPH.warn, text: f.message, color: f.severity === 'error' ? tint('red') : tint('yellow') });

/** The findings as screen lines, wrapped. */
export function findingLines(findings: Finding[], width: number): ScreenLine[] {
  return wrappedLines(findings.map(findingItem), width);
}

/** Lines drawn as they are (already wrapped to the width). */
export function Lines({ lines }: { lines: ScreenLine[] }) {
  return (
    <>
      {lines.map((l, i) => (
        <Text key={i} color={l.color} wrap="truncate">
          {l.text}
        </Text>
      ))}
    </>
  );
}

/**
 * Long findings in full, wrapped, in a pane of `height` lines that scrolls
 * (PgUp/PgDn): a digest or a path is never cut off with no way to read it.
 */
export function FindingsPane({ lines, height, offset }: { lines: ScreenLine[]; height: number; offset: number }) {
  const room = Math.max(1, height);
  const top = Math.max(0, Math.min(offset, lines.length - room));
  const more = lines.length - top - room;
  const shown = lines.slice(top, top + (more > 0 ? room - 1 : room));
  return (
    <>
      {shown.map((l, i) => (
        <Text key={top + i} color={l.color} wrap="truncate">
          {l.text}
        </Text>
      ))}
      {more > 0 && <Text dimColor>{`  … ${more + 1} more lines (PgDn)`}</Text>}
    </>
  );
}
