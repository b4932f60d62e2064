import { Box, Text } from 'ink';
import { useState } from 'react';
import type { BackupScreenProps } from './screen-props.js';
import type { BadBlock, Region } from '../../core/events/types.js';
import { formatBytes, printable } from '../../output/format.js';
import { regionLine } from '../../output/report.js';
import { BlockGrid, Legend, blocksPerCell, cellState } from '../components/block-grid.js';
import { ProgressBar } from '../components/progress-bar.js';
import { useKeys } from '../hooks/use-keys.js';
import { useCopy } from '../input/clipboard.js';
import { parsePosition, usePrompt } from '../input/use-prompt.js';
import { CELL, GLYPH, statusLook, tint } from '../theme.js';

const MAX_GRID_ROWS = 8;

/** The block under the grid cursor: for a cell of several blocks, its first bad one. */
export function blockAtCell(cell: number, perCell: number, total: number, bad: BadBlock[]): number {
  const first = cell * perCell;
  const last = Math.min(total, first + perCell) - 1;
  return bad.find((b) => b.index >= first && b.index <= last)?.index ?? first;
}

/** What is left of a block the file no longer fully reaches. */
function missingNote(actualSize: number | undefined, offset: number, size: number): string {
  if (actualSize === undefined) return '(not read)';
  if (actualSize <= offset) return `(none: the file ends at byte ${actualSize}, before this block)`;
  return `(incomplete: the file ends at byte ${actualSize}, ${actualSize - offset} of ${size} bytes are there)`;
}

export interface BlocksScreenProps extends BackupScreenProps {
  onHex: (block: { index: number; offset: number; size: number }) => void;
}

/** The block map: a grid filling in live, the damaged regions with byte offsets, one block in detail. */
export function BlocksScreen({ entry, queue, width, height, active, onBack, onHex }: BlocksScreenProps) {
  const run = queue.get(entry.file);
  const [cursor, setCursor] = useState(0);
  const [pane, setPane] = useState<'grid' | 'regions'>('grid');
  const [regionIndex, setRegionIndex] = useState(0);
  const [notice, setNotice] = useState('');
  const prompt = usePrompt(active);
  const copy = useCopy();

  const map = run?.blocks;
  const total = map?.total ?? 0;
  const columns = Math.max(10, width - 2);
  const gridRows = Math.max(1, Math.min(MAX_GRID_ROWS, Math.ceil(total / columns), height - 14));
  const perCell = blocksPerCell(total, columns * gridRows);
  const cells = Math.ceil(total / perCell);
  const regions: Region[] = (run?.result?.regions ?? []).filter((r) => r.firstBlock < total || r.kind === 'extra');
  const bad = run?.result?.badBlocks ?? [];
  const cellOf = (block: number) => Math.min(cells - 1, Math.floor(block / perCell));
  const goRegion = (i: number) => {
    if (regions.length === 0) return;
    const k = (i + regions.length) % regions.length;
    setRegionIndex(k);
    setCursor(cellOf(regions[k]!.firstBlock));
  };
  const moveCell = (to: number) => setCursor(Math.max(0, Math.min(cells - 1, to)));

  useKeys(
    'blocks',
    {
      back: () => {
        if (run?.state === 'running' || run?.state === 'queued') queue.cancel(entry.file);
        onBack();
      },
      up: () => (pane === 'grid' ? moveCell(cursor - columns) : goRegion(regionIndex - 1)),
      down: () => (pane === 'grid' ? moveCell(cursor + columns) : goRegion(regionIndex + 1)),
      left: () => moveCell(cursor - 1),
      right: () => moveCell(cursor + 1),
      top: () => moveCell(0),
      bottom: () => moveCell(cells - 1),
      nextRegion: () => {
        const next = regions.findIndex((r) => cellOf(r.firstBlock) > cursor);
        goRegion(next >= 0 ? next : 0);
      },
      prevRegion: () => {
        const before = regions.map((r, i) => ({ r, i })).filter(({ r }) => cellOf(r.firstBlock) < cursor);
        goRegion(before.length ? before[before.length - 1]!.i : regions.length - 1);
      },
      pane: () => {
        if (pane === 'regions') return setPane('grid');
        // Entering the list selects the region at or after the cursor.
        const at = regions.findIndex((r) => cellOf(r.lastBlock) >= cursor);
        if (regions.length > 0) setRegionIndex(at >= 0 ? at : regions.length - 1);
        setPane('regions');
      },
      goTo: () =>
        map &&
        prompt.open({
          label: `go to block (0-${total - 1}) or byte (@N, 0xN)`,
          onSubmit: (text) => {
            const p = parsePosition(text);
            const block = p && ('block' in p ? p.block : Math.floor(p.offset / map.blockSize));
            if (block === undefined || block < 0 || block >= total) return setNotice(`no such block or byte in this file: ${text}`);
            setNotice('');
            setPane('grid');
            setCursor(cellOf(block));
          },
        }),
      copy: () => {
        if (!map) return;
        const block = blockAtCell(cursor, perCell, total, bad);
        const from = block * map.blockSize;
        setNotice(copy(`${entry.file} bytes ${from}-${Math.min(map.fileSize, from + map.blockSize) - 1}`));
      },
      hex: () => {
        if (!map) return;
        const index = blockAtCell(cursor, perCell, total, bad);
        const offset = index * map.blockSize;
        onHex({ index, offset, size: Math.max(0, Math.min(map.blockSize, map.fileSize - offset)) });
      },
    },
    active && !prompt.isOpen,
  );

  const index = map ? blockAtCell(cursor, perCell, total, bad) : 0;
  const blockSize = map?.blockSize ?? 0;
  const offset = index * blockSize;
  const size = map ? Math.max(0, Math.min(blockSize, map.fileSize - offset)) : 0;
  const badBlock = bad.find((b) => b.index === index);
  // The archive members the damaged region under the cursor falls in (known for uncompressed tars).
  const regionHere = regions.find((r) => index >= r.firstBlock && index <= r.lastBlock);
  const membersHere = regionHere?.affectedMembers
    ? [`${printable(regionHere.members?.[0] ?? '')} and the ${regionHere.affectedMembers - 1} members after it`]
    : (regionHere?.members ?? []).map(printable);
  const state = map ? cellState(map.states, index, 1) : 'pending';
  const look = run?.result ? statusLook(run.result.status) : undefined;
  const p = run?.progress;
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text bold wrap="truncate">
        block map {printable(entry.name)}
        {map ? <Text dimColor>{`  ${total} blocks of ${formatBytes(blockSize)}${perCell > 1 ? `, ${perCell} per cell` : ''}`}</Text> : null}
      </Text>
      {run?.state === 'failed' && <Text color={tint('yellow')}>{GLYPH.warn} {run.error}</Text>}
      {run?.state === 'running' && p && (
        <Text>
          {run.phase === 'reread' ? 're-read ' : 'verify  '}
          <ProgressBar done={p.done} total={p.total} width={Math.min(50, width - 10)} />
        </Text>
      )}
      {look && (
        <Text bold color={look.color} wrap="truncate">
          {look.glyph} {look.word}
          {regions.length ? `: ${regions.length} damaged region${regions.length === 1 ? '' : 's'}` : ''}
        </Text>
      )}
      {map && <BlockGrid states={map.states} columns={columns} rows={gridRows} perCell={perCell} cursor={cursor} focused={pane === 'grid'} />}
      {map && <Legend states={map.states} width={width} />}
      <Text bold={pane === 'regions'} wrap="truncate">
        {pane === 'regions' ? GLYPH.cursor : ' '} Regions {regions.length === 0 ? <Text dimColor>{run?.result ? 'none: every block matches' : '(when the check ends)'}</Text> : null}
      </Text>
      {regions.slice(0, 5).map((r, i) => (
        <Text key={i} inverse={pane === 'regions' && i === regionIndex} color={tint(r.kind === 'extra' || r.state === 'transient' ? 'yellow' : 'red')} wrap="truncate">
          {'  '}
          {regionLine(r, true)}
        </Text>
      ))}
      {regions.length > 5 && <Text dimColor>  … {regions.length - 5} more (n/N to visit)</Text>}
      {map && (
        <Box flexDirection="column" marginTop={1}>
          <Text wrap="truncate">
            <Text bold>block {index}</Text> bytes {offset}-{offset + size - 1} ({formatBytes(size)}){' '}
            <Text color={CELL[state].color ? tint(CELL[state].color!) : undefined}>
              {CELL[state].char} {badBlock ? `${badBlock.state}` : CELL[state].label}
            </Text>
          </Text>
          <Text wrap="truncate" dimColor>
            expected {badBlock?.expected ?? (state === 'ok' ? 'matches the block map' : '…')}
          </Text>
          {badBlock && (
            <Text wrap="truncate" color={tint('red')}>
              actual   {badBlock.actual ?? missingNote(run?.result?.size, offset, size)}
            </Text>
          )}
          {membersHere.length > 0 && (
            <Text wrap="truncate">
              {regionHere?.affectedMembers ? 'spoils   ' : 'in       '}
              {membersHere.join(', ')}
            </Text>
          )}
          {/* What the bytes say; the inspector offers no --against, so "nothing to see" is left out. */}
          {regionHere?.forensics && regionHere.forensics.kind !== 'unknown' && (
            <Text wrap="wrap" color={tint('yellow')}>
              what     {regionHere.forensics.summary}
            </Text>
          )}
        </Box>
      )}
      <Box flexGrow={1} />
      {(prompt.line || notice) && (
        <Text wrap="truncate" color={prompt.line ? undefined : tint('yellow')}>
          {prompt.line ?? `${GLYPH.warn} ${notice}`}
        </Text>
      )}
    </Box>
  );
}
