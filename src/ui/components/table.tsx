import { Box, Text } from 'ink';
import { useMemo, type ReactNode } from 'react';
import { cutMiddle } from '../../output/format.js';
import { GLYPH } from '../theme.js';

export interface Column<Row> {
  header: string;
  /** fixed width, or undefined to take the room that is left */
  width?: number;
  align?: 'left' | 'right';
  cell: (row: Row) => string;
  color?: (row: Row) => string | undefined;
  /** when the flexible column would be cut, fixed columns are dropped, lowest `drop` first (never without one) */
  drop?: number;
}

function fit(text: string, width: number, align: 'left' | 'right' = 'left', middle = false): string {
  if (text.length > width) {
    if (middle || width <= 1) return cutMiddle(text, width);
    return `${text.slice(0, width - 1)}…`;
  }
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

/**
 * The columns shown at this width: the flexible one (the name) gets the room
 * it needs before any droppable column keeps its own; what still does not
 * fit is cut in the middle.
 */
const FLEX_WANT = 40;

/** The flexible column's widest cell, up to FLEX_WANT: one very long name should not take every other column from every row. */
function flexWant<Row>(flexColumn: Column<Row> | undefined, rows: Row[]): number {
  if (!flexColumn) return 0;
  let want = flexColumn.header.length;
  for (const r of rows) if (want < FLEX_WANT) want = Math.max(want, flexColumn.cell(r).length);
  return Math.min(FLEX_WANT, want);
}

function layout<Row>(columns: Column<Row>[], want: number, width: number): { shown: Column<Row>[]; widths: number[] } {
  let shown = columns;
  const room = (cols: Column<Row>[]) => width - cols.reduce((sum, c) => sum + (c.width ?? 0) + 1, 2);
  for (const victim of columns.filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!)) {
    if (room(shown) >= want) break;
    shown = shown.filter((c) => c !== victim);
  }
  const flex = Math.max(8, room(shown));
  return { shown, widths: shown.map((c) => c.width ?? flex) };
}

/**
 * Cells of one colour joined into one piece of text: every element of a row
 * is laid out and measured on each frame, and most cells have no colour.
 */
function runs(cells: { text: string; color?: string }[]): { text: string; color?: string }[] {
  const out: { text: string; color?: string }[] = [];
  for (const cell of cells) {
    const last = out.at(-1);
    if (last && last.color === cell.color) last.text += cell.text;
    else out.push({ ...cell });
  }
  return out;
}

/**
 * A small table (Ink 6 has no table component that loads): fixed and
 * flexible columns, a `›` marker on the selected row (visible without
 * colour), and a window that scrolls to keep the selection in view.
 */
export function Table<Row>({ rows, columns, selected, height, width, empty }: { rows: Row[]; columns: Column<Row>[]; selected: number; height: number; width: number; empty?: ReactNode }) {
  const flexColumn = columns.find((c) => c.width === undefined);
  // Thousands of rows: measured when they change, not on every frame (the column is known by its header).
  const want = useMemo(() => flexWant(flexColumn, rows), [rows, flexColumn?.header]);
  const { shown: cols, widths } = layout(columns, want, width);
  const visible = Math.max(1, height - 1);
  const start = Math.min(Math.max(0, selected - Math.floor(visible / 2)), Math.max(0, rows.length - visible));
  const shown = rows.slice(start, start + visible);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate">
        {'  '}
        {cols.map((c, i) => fit(c.header, widths[i]!, c.align)).join(' ')}
      </Text>
      {rows.length === 0 && empty}
      {shown.map((row, k) => {
        const index = start + k;
        const isSelected = index === selected;
        return (
          <Text key={index} inverse={isSelected} wrap="truncate">
            {isSelected ? `${GLYPH.cursor} ` : '  '}
            {runs(cols.map((c, i) => ({ text: `${fit(c.cell(row), widths[i]!, c.align, c.width === undefined)}${i < cols.length - 1 ? ' ' : ''}`, color: isSelected ? undefined : c.color?.(row) }))).map((r, i) =>
              r.color ? <Text key={i} color={r.color}>{r.text}</Text> : r.text,
            )}
          </Text>
        );
      })}
    </Box>
  );
}
