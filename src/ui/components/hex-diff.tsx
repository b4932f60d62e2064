import { Text } from 'ink';
import { tint } from '../theme.js';

export interface DiffCell {
  text: string;
  differs: boolean;
}

export function hexDiffCells(ours: Uint8Array, theirs: Uint8Array | undefined, perLine: number): { ours: DiffCell[]; theirs: DiffCell[] } {
  const hex = (b: number | undefined) => (b === undefined ? '  ' : b.toString(16).padStart(2, '0'));
  const out = { ours: [] as DiffCell[], theirs: [] as DiffCell[] };
  for (let i = 0; i < perLine; i++) {
    const a = ours[i];
    // Past the other copy's end, a byte this copy has differs (the other has none: "--").
    const b = theirs === undefined ? undefined : i < theirs.length ? theirs[i] : -1;
    const differs = a !== undefined && b !== undefined && a !== b;
    out.ours.push({ text: hex(a), differs });
    out.theirs.push({ text: a === undefined ? '  ' : b === undefined ? '??' : b === -1 ? '--' : differs ? hex(b) : '··', differs });
  }
  return out;
}

/** The column heading over one side's bytes: each one's place in the line. */
export function hexDiffHeading(perLine: number): string {
  return Array.from({ length: perLine }, (_, i) => i.toString(16).padStart(2, '0')).join(' ');
}

/**
 * One line of the side-by-side view: the offset, this copy's bytes, and the
 * other copy's bytes where they differ ("··" where they are the same), so
 * the differences show without colour too; with colour, they are also red.
 */
export function HexDiffRow({ offset, ours, theirs, perLine, hit }: { offset: number; ours: Uint8Array; theirs: Uint8Array | undefined; perLine: number; hit: boolean }) {
  const c = hexDiffCells(ours, theirs, perLine);
  const cells = (list: DiffCell[]) =>
    list.map((x, i) => (
      <Text key={i} color={x.differs ? tint('red') : undefined} bold={x.differs} dimColor={!x.differs && x.text === '··'}>
        {`${i ? ' ' : ''}${x.text}`}
      </Text>
    ));
  return (
    <Text wrap="truncate" bold={hit}>
      {`${String(offset).padStart(10, '0')}  `}
      {cells(c.ours)}
      {'  │ '}
      {cells(c.theirs)}
    </Text>
  );
}
