import { Box, Text } from 'ink';
import type { BlockState } from '../../core/events/types.js';
import { CELL, tint } from '../theme.js';

export type CellState = BlockState | 'pending';

/** How many blocks one cell stands for, so the grid fits `cells` cells. */
export function blocksPerCell(total: number, cells: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, cells)));
}

const SEVERITY: CellState[] = ['ok', 'pending', 'extra', 'transient', 'missing', 'corrupt', 'unreadable'];

/** A cell shows the worst state among its blocks; unread blocks show as pending. */
export function cellState(states: (BlockState | undefined)[], first: number, count: number): CellState {
  let worst: CellState = 'ok';
  for (let i = first; i < first + count && i < states.length; i++) {
    const s: CellState = states[i] ?? 'pending';
    if (SEVERITY.indexOf(s) > SEVERITY.indexOf(worst)) worst = s;
  }
  return worst;
}

/** The grid: one character per cell, the cursor cell shown inverted. */
export function BlockGrid({ states, columns, rows, perCell, cursor, focused }: { states: (BlockState | undefined)[]; columns: number; rows: number; perCell: number; cursor: number; focused: boolean }) {
  const cellCount = Math.ceil(states.length / perCell);
  const lines = [];
  for (let r = 0; r < rows && r * columns < cellCount; r++) {
    const cells = [];
    for (let c = 0; c < columns; c++) {
      const index = r * columns + c;
      if (index >= cellCount) break;
      const state = cellState(states, index * perCell, perCell);
      const look = CELL[state];
      cells.push(
        <Text key={c} color={look.color ? tint(look.color) : undefined} inverse={index === cursor && focused} underline={index === cursor && !focused}>
          {look.char}
        </Text>,
      );
    }
    lines.push(<Text key={r}>{cells}</Text>);
  }
  return <Box flexDirection="column">{lines}</Box>;
}

/** What each cell's character means; where every state does not fit the width, only those in this map. */
export function Legend({ states: blocks, width }: { states: (BlockState | undefined)[]; width: number }) {
  const all: CellState[] = ['ok', 'corrupt', 'transient', 'missing', 'extra', 'unreadable', 'pending'];
  const length = all.reduce((n, s) => n + CELL[s].label.length + 4, -2);
  const present = new Set<CellState>(['ok', ...blocks.map((b) => b ?? 'pending')]);
  const states = length <= width ? all : all.filter((s) => present.has(s));
  return (
    <Text wrap="truncate">
      {states.map((s, i) => (
        <Text key={s}>
          {i > 0 ? '  ' : ''}
          <Text color={CELL[s].color ? tint(CELL[s].color!) : undefined}>{CELL[s].char}</Text> {CELL[s].label}
        </Text>
      ))}
    </Text>
  );
}
