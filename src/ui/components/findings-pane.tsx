import { Text } from 'ink';
import wrapAnsi from 'wrap-ansi';
import type { Finding } from '../../core/events/types.js';
import { GLYPH, tint } from '../theme.js';

/** The findings as screen lines: each wrapped to the width, its glyph on its first line. */
export function findingLines(findings: Finding[], width: number): { text: string; color?: string }[] {
  return findings.flatMap((f) => {
    const color = f.severity === 'error' ? tint('red') : tint('yellow');
    const glyph = f.severity === 'error' ? GLYPH.bad : GLYPH.warn;
    return wrapAnsi(`${glyph} ${f.message}`, Math.max(10, width - 2), { hard: true, trim: false })
      .split('\n')
      .map((text, i) => ({ text: i === 0 ? text : `  ${text}`, color }));
  });
}

/**
 * Long findings in full, wrapped, in a pane of `height` lines that scrolls
 * (PgUp/PgDn): a digest or a path is never cut off with no way to read it.
 */
export function FindingsPane({ lines, height, offset }: { lines: { text: string; color?: string }[]; height: number; offset: number }) {
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
