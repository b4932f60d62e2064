import { Box, Text } from 'ink';
import { useMemo, useState } from 'react';
import { useCopy } from '../input/clipboard.js';
import { PRIORITY, useKeypress } from '../input/keypress.js';
import { exportPrompt } from '../input/use-export.js';
import { usePrompt } from '../input/use-prompt.js';
import type { BackupRun, StepsKind } from '../../core/checks/queue.js';
import type { BackupEntry } from '../../core/inventory/inventory.js';
import { displayPath, formatBytes, formatDuration, formatRate, printable } from '../../output/format.js';
import { Table, type Column } from '../components/table.js';
import { useKeys } from '../hooks/use-keys.js';
import { formatAge } from '../format-age.js';
import { GLYPH, stateLook, statusLook, tint } from '../theme.js';
import type { BackupState } from '../../core/schedule/strength.js';
import type { InspectorSession } from '../session/inspector-session.js';
import type { CopyChecks } from '../copies/copy-checks.js';
import { checkedAgo, copyLook } from '../copies/copy-look.js';

const SORTS = ['name', 'age', 'size', 'status'] as const;
type Sort = (typeof SORTS)[number];

/** What a row shows as its status: a check running or queued, else the backup's one state. */
export function rowStatus(run: BackupRun | undefined, state: BackupState | undefined): { glyph: string; word: string; color?: string; when?: string } {
  if (run?.state === 'running') {
    const pct = run.progress && run.progress.total > 0 ? Math.floor((run.progress.done / run.progress.total) * 100) : 0;
    const doing = run.kind === 'deep' ? 'deep' : run.kind === 'restore' ? 'restoring' : run.kind === 'drill' ? 'drilling' : run.phase === 'blocks' ? 'blocks' : 'hashing';
    return { glyph: GLYPH.running, word: `${doing} ${pct}%`, color: tint('cyan') };
  }
  if (run?.state === 'queued') return { glyph: GLYPH.queued, word: 'queued' };
  // Manifests just written: say so, until a check says more (writing them checks nothing).
  const created = run?.kind === 'create' && run.result;
  if (created && (!state || Date.parse(created.checkedAt) > Date.parse(state.at))) return { ...statusLook(created.status), when: created.checkedAt };
  if (state) return { ...stateLook(state), when: state.at };
  if (run?.state === 'failed') return { glyph: GLYPH.warn, word: 'error', color: tint('yellow') };
  return statusLook(undefined);
}

/** The end of a path matters most: cut it from the left to fit. */
const leftCut = (text: string, room: number) => (text.length > room ? `…${text.slice(-(Math.max(8, room) - 1))}` : text);

/** Damaged first, then could not check, then not verified, then verified (running and queued with the unverified). */
const severity = (glyph: string) => (glyph === GLYPH.bad ? 0 : glyph === GLYPH.warn ? 1 : glyph === GLYPH.ok ? 3 : 2);
const isFailure = (glyph: string) => glyph === GLYPH.bad || glyph === GLYPH.warn;

export interface ListScreenProps {
  session: InspectorSession;
  width: number;
  height: number;
  active: boolean;
  onOpen: (entry: BackupEntry) => void;
  onBlocks: (entry: BackupEntry) => void;
  onSteps: (entry: BackupEntry, kind: StepsKind) => void;
  onVerify: (entry: BackupEntry) => void;
  /** storage locations, when configured: tab shows each one's copies */
  copies?: CopyChecks;
}

export function ListScreen({ session, width, height, active, onOpen, onBlocks, onSteps, onVerify, copies }: ListScreenProps) {
  const { inventory, queue } = session;
  const look = (b: BackupEntry) => rowStatus(queue.get(b.file), session.state(b));
  // 0: the backups on this machine; 1…: the copies in each storage location.
  const [view, setView] = useState(0);
  const places = copies?.locations ?? [];
  const place = view > 0 ? places[view - 1] : undefined;
  // The selection follows the backup, not the row number, as rows re-sort under it.
  const [selectedFile, setSelectedFile] = useState<string | undefined>(session.focus);
  const [sort, setSort] = useState<Sort>('name');
  const [reversed, setReversed] = useState(false);
  const [failuresOnly, setFailuresOnly] = useState(false);
  const [filter, setFilter] = useState('');
  const prompt = usePrompt(active);
  const copy = useCopy();
  const [notice, setNotice] = useState('');
  // What was said (copied, exported) stays until the next key.
  useKeypress(() => void (notice && setNotice('')), { priority: PRIORITY.screen + 1, active: active && notice !== '' });
  const editing = prompt.isOpen;

  const rows = useMemo(() => {
    const needle = filter.toLowerCase();
    const list = inventory.backups.filter((b) => b.name.toLowerCase().includes(needle) && (!failuresOnly || isFailure(look(b).glyph)));
    const by: Record<Sort, (a: BackupEntry, b: BackupEntry) => number> = {
      name: (a, b) => a.name.localeCompare(b.name),
      age: (a, b) => b.mtimeMs - a.mtimeMs,
      size: (a, b) => b.size - a.size,
      status: (a, b) => severity(look(a).glyph) - severity(look(b).glyph),
    };
    const sorted = list.sort(by[sort]);
    return reversed ? sorted.reverse() : sorted;
  }, [inventory, filter, sort, reversed, failuresOnly, sort === 'status' || failuresOnly ? session.getSnapshot() : 0]);
  const indexOf = (file: string | undefined) => Math.max(0, rows.findIndex((r) => r.file === file));
  const selected = indexOf(selectedFile);
  const currentRow = () => rows[indexOf(selectedFile)];
  const move = (to: number) => setSelectedFile(rows[Math.max(0, Math.min(rows.length - 1, to))]?.file);
  const by = (delta: number) => () => move(indexOf(selectedFile) + delta);
  const page = Math.max(1, height - 4);
  /** The next failing row after the selection (`step` 1) or before it (-1), round the end. */
  const jumpToFailure = (step: 1 | -1) => {
    const from = indexOf(selectedFile);
    for (let k = 1; k <= rows.length; k++) {
      const i = (from + step * k + rows.length * k) % rows.length;
      if (look(rows[i]!).glyph === GLYPH.bad) return setSelectedFile(rows[i]!.file);
    }
  };

  useKeys(
    'list',
    {
      up: by(-1),
      down: by(1),
      top: () => move(0),
      bottom: () => move(rows.length - 1),
      pageUp: by(-page),
      pageDown: by(page),
      open: () => currentRow() && onOpen(currentRow()!),
      verify: () => currentRow() && (place ? copies!.check(currentRow()!) : onVerify(currentRow()!)),
      verifyAll: () => (place ? rows.forEach((r) => copies!.check(r)) : void session.verifyAll(rows)),
      location: () => places.length > 0 && setView((view + 1) % (places.length + 1)),
      blockMap: () => currentRow() && onBlocks(currentRow()!),
      deep: () => currentRow() && onSteps(currentRow()!, 'deep'),
      restore: () => currentRow() && onSteps(currentRow()!, 'restore'),
      drill: () => currentRow() && onSteps(currentRow()!, 'drill'),
      sort: () => setSort(SORTS[(SORTS.indexOf(sort) + 1) % SORTS.length]!),
      reverse: () => setReversed(!reversed),
      copy: () => currentRow() && setNotice(copy(currentRow()!.file)),
      export: () => prompt.open(exportPrompt(session, () => inventory.backups.filter((b) => isFailure(look(b).glyph)), 'Failing backups', setNotice)),
      failuresOnly: () => setFailuresOnly(!failuresOnly),
      nextFailure: () => jumpToFailure(1),
      prevFailure: () => jumpToFailure(-1),
      // What is typed filters at once; Enter keeps it, Esc clears it.
      filter: () => prompt.open({ label: 'filter', onChange: setFilter, onSubmit: () => setSelectedFile(undefined), onCancel: () => (setFilter(''), setSelectedFile(undefined)) }),
    },
    active && !editing,
  );
  // Over every backup, so once per change of the session, not once per key.
  const version = session.getSnapshot();
  const batch = useMemo(() => session.batchProgress(), [session, version]);
  const counts = useMemo(() => {
    const n = { ok: 0, bad: 0, warn: 0, unknown: 0 };
    for (const b of inventory.backups) {
      const g = look(b).glyph;
      if (g === GLYPH.ok) n.ok++;
      else if (g === GLYPH.bad) n.bad++;
      else if (g === GLYPH.warn) n.warn++;
      else n.unknown++;
    }
    return n;
  }, [inventory, version]);
  // As wide as the longest list of manifest kinds; the first column dropped when the names need the room.
  const manifestsWidth = useMemo(() => inventory.backups.reduce((w, b) => Math.max(w, b.manifests.join(',').length), 9), [inventory]);
  const copyOf = (b: BackupEntry) => copies!.known(b, place!.name);
  const columns: Column<BackupEntry>[] = place
    ? [
        { header: 'copy', width: 15, cell: (b) => { const s = copyLook(copyOf(b), copies!.run(b)); return `${s.glyph} ${s.word}`; }, color: (b) => copyLook(copyOf(b), copies!.run(b)).color },
        { header: 'backup', cell: (b) => printable(b.name) },
        { header: 'size', width: 9, align: 'right', cell: (b) => formatBytes(b.size), drop: 3 },
        { header: 'age', width: 4, align: 'right', cell: (b) => formatAge(b.mtimeMs), drop: 2 },
        { header: 'checked', width: 8, cell: (b) => checkedAgo(copyOf(b)), drop: 1 },
      ]
    : [
    { header: 'status', width: 15, cell: (b) => { const s = look(b); return `${s.glyph} ${s.word}`; }, color: (b) => look(b).color },
    { header: 'backup', cell: (b) => printable(b.name) },
    { header: 'size', width: 9, align: 'right', cell: (b) => formatBytes(b.size), drop: 4 },
    { header: 'age', width: 4, align: 'right', cell: (b) => formatAge(b.mtimeMs), drop: 3 },
    { header: 'manifests', width: manifestsWidth, cell: (b) => b.manifests.join(',') || '—', drop: 1 },
    { header: 'checked', width: 7, cell: (b) => { const when = look(b).when; return when ? `${formatAge(Date.parse(when))} ago` : '—'; }, drop: 2 },
      ];
  const of = places.length > 0 ? `  (${view + 1}/${places.length + 1})` : '';
  // The counts matter more than the whole path: shorten the path from the left to fit.
  const countsText = `${GLYPH.ok} ${counts.ok} ok  ${GLYPH.bad} ${counts.bad} failed${counts.warn ? `  ${GLYPH.warn} ${counts.warn} unchecked` : ''}  ${GLYPH.unknown} ${counts.unknown} unverified`;
  const where = inventory.folders.length === 1 ? displayPath(inventory.folders[0]!) || '.' : `${inventory.folders.length} folders`;
  // The counts come first: when they need the room, the tool's name and then the folder give way.
  const left = width - countsText.length - of.length - 2;
  const named = left >= 'restorable '.length + 8;
  const room = left - (named ? 'restorable '.length : 0);
  const folders = room >= 6 ? leftCut(where, room) : '';
  return (
    <Box flexDirection="column" height={height}>
      {place ? (
        <Text wrap="truncate">
          <Text bold>location: {place.name}</Text>
          {'  '}
          {leftCut(place.display, width - `location: ${place.name}  `.length - of.length - 1)}
          {of}
        </Text>
      ) : (
      <Text wrap="truncate">
        {named && <Text bold>restorable </Text>}
        {folders}
        {named || folders ? '  ' : ''}
        <Text color={tint('green')}>{GLYPH.ok} {counts.ok} ok</Text>
        {'  '}
        <Text color={tint('red')}>{GLYPH.bad} {counts.bad} failed</Text>
        {counts.warn > 0 ? <Text color={tint('yellow')}>{`  ${GLYPH.warn} ${counts.warn} unchecked`}</Text> : null}
        {'  '}
        {GLYPH.unknown} {counts.unknown} unverified
        {of}
      </Text>
      )}
      <Table rows={rows} columns={columns} selected={Math.min(selected, rows.length - 1)} height={height - 2} width={width} empty={<Text dimColor>  {failuresOnly ? 'no failures' : 'no backups'} here{filter ? ` match “${filter}”` : ''}</Text>} />
      <Text wrap="truncate" dimColor={!editing}>
        {notice && !prompt.line ? `${notice}  ` : ''}
        {batch && batch.done < batch.total ? `verifying ${batch.done}/${batch.total} · ${formatRate(batch.bytesPerSec)} · ETA ${batch.etaSeconds === undefined ? '?' : formatDuration(batch.etaSeconds)}  ` : ''}
        {prompt.line ? `${prompt.line}  ` : filter ? `filter: ${filter}  ` : ''}
        {failuresOnly ? 'failures only  ' : ''}sort: {sort}
        {reversed ? ' reversed' : ''}  {rows.length} of {inventory.backups.length} shown
        {inventory.problems.length > 0 ? `  ${GLYPH.warn} ${inventory.problems[0]!.message}` : ''}
      </Text>
    </Box>
  );
}
