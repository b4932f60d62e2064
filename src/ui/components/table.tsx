import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { GLYPH } from '../theme.js';

export interface Column<Row> {
  header: string;
  /** fixed width, or undefined to take the room that is left */
  width?: number;
  align?: 'left' | 'right';
  cell: (row: Row) => string;
  color?: (row: Row) => string | undefined;
}

function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (text.length > width) return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

/**
 * A small table (Ink 6 has no table component that loads): fixed and
 * flexible columns, a `›` marker on the selected row (visible without
 * colour), and a window that scrolls to keep the selection in view.
 */
export function Table<Row>({ rows, columns, selected, height, width, empty }: { rows: Row[]; columns: Column<Row>[]; selected: number; height: number; width: number; empty?: ReactNode }) {
  const fixed = columns.reduce((sum, c) => sum + (c.width ?? 0) + 1, 2);
  const flex = Math.max(8, width - fixed);
  const widths = columns.map((c) => c.width ?? flex);
  const visible = Math.max(1, height - 1);
  const start = Math.min(Math.max(0, selected - Math.floor(visible / 2)), Math.max(0, rows.length - visible));
  const shown = rows.slice(start, start + visible);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate">
        {'  '}
        {columns.map((c, i) => fit(c.header, widths[i]!, c.align)).join(' ')}
      </Text>
      {rows.length === 0 && empty}
      {shown.map((row, k) => {
        const index = start + k;
        const isSelected = index === selected;
        return (
          <Text key={index} inverse={isSelected} wrap="truncate">
            {isSelected ? `${GLYPH.cursor} ` : '  '}
            {columns.map((c, i) => (
              <Text key={i} color={isSelected ? undefined : c.color?.(row)}>
                {fit(c.cell(row), widths[i]!, c.align)}
                {i < columns.length - 1 ? ' ' : ''}
              </Text>
            ))}
          </Text>
        );
      })}
    </Box>
  );
}
