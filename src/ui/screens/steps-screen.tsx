import { Box, Text } from 'ink';
import { salvageLine } from '../../output/salvage-report.js';
import { useState } from 'react';
import type { BackupRun, StepsKind } from '../../core/checks/queue.js';
import { formatBytes, formatDuration, formatRate, printable } from '../../output/format.js';
import { statusWord } from '../../output/style.js';
import { tableLine } from '../../output/report.js';
import type { DrillRecord } from '../../core/schedule/ledger.js';
import { ProgressBar } from '../components/progress-bar.js';
import { FindingsPane, Lines, findingLines, wrappedLines } from '../components/findings-pane.js';
import { useRoom } from '../hooks/use-room.js';
import { useKeys } from '../hooks/use-keys.js';
import { useSession } from '../session/use-session.js';
import { GLYPH, statusLook, tint } from '../theme.js';
import type { BackupScreenProps } from './screen-props.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function stepGlyph(state: string, frame: number): { glyph: string; color?: string } {
  if (state === 'ok') return { glyph: GLYPH.ok, color: tint('green') };
  if (state === 'failed') return { glyph: GLYPH.bad, color: tint('red') };
  if (state === 'running') return { glyph: SPINNER[frame % SPINNER.length]!, color: tint('cyan') };
  return { glyph: GLYPH.unknown };
}

/** What a step list needs of a run: a check's (the queue's) or a heal's (the copy checks'). */
export type StepsRun = Pick<BackupRun, 'steps' | 'progress' | 'findings' | 'result' | 'error'> & { state: BackupRun['state'] };

/** One line about what the run found out, once it is over. */
function verdict(run: StepsRun): string {
  const r = run.result;
  if (!r) return '';
  if (r.drill) return ` ${r.drill.tool ?? 'dump'} restored into ${r.drill.server} in ${r.drill.restoreSeconds.toFixed(2)} s, ${formatRate(r.drill.bytesPerSec)}; ${r.drill.rows} rows in ${r.drill.tables.length} tables`;
  if (r.restore) return ` restored ${r.restore.restoredFiles} files (${formatBytes(r.restore.restoredBytes)}) in ${r.restore.seconds.toFixed(2)} s, ${formatRate(r.restore.bytesPerSec)}${vouch(r)}`;
  if (r.archive) return ` ${r.archive.format}, ${r.archive.entries} members, ${formatBytes(r.archive.contentBytes)}${vouch(r)}`;
  return '';
}

/** What vouched for a pass, as the command line says it. */
function vouch(r: NonNullable<StepsRun['result']>): string {
  if (r.status !== 'verified' || !r.archive) return '';
  return r.archive.vouchedBy ? `, vouched for by the ${r.archive.vouchedBy}` : ', nothing vouches for the bytes';
}

/** A deep check or a test restore as it runs: its steps, live output, the salvage report, the verdict. */
export function StepsScreen({ entry, queue, width, height, active, onBack, kind }: BackupScreenProps & { kind: StepsKind }) {
  const run = queue.get(entry.file);
  const [scroll, setScroll] = useState(0);
  const page = Math.max(1, Math.floor(height / 2));
  useKeys(
    'steps',
    {
      back: () => (run?.state === 'running' || run?.state === 'queued' ? queue.cancel(entry.file) : undefined, onBack()),
      pageDown: () => setScroll((s) => s + page),
      pageUp: () => setScroll((s) => Math.max(0, s - page)),
    },
    active,
  );
  const session = useSession();
  const title = `${TITLES[kind]} ${printable(entry.name)}`;
  // A drill's rows per table, beside the dump's and the last drill's: what it proved.
  const notes = kind === 'drill' ? drillNotes(run, session.lastDrill(entry.file)) : [];
  return <StepsView title={title} run={run} frame={Math.floor(session.getSnapshot() / 2)} width={width} height={height} scroll={scroll} notes={notes} cancelled={kind === 'drill' ? 'cancelled; the server was stopped and its folder removed' : 'cancelled; the temp folder was removed'} />;
}

const TITLES: Record<StepsKind, string> = { deep: 'deep check', restore: 'test restore', drill: 'restore drill' };

/** Rows per table once the drill is over; before, the drill it will be held to. */
function drillNotes(run: StepsRun | undefined, last: DrillRecord | undefined): string[] {
  const d = run?.result?.drill;
  if (run?.state === 'failed' || run?.state === 'cancelled') return [];
  if (d) return [...d.tables.map(tableLine), ...(d.probes ?? []).filter((p) => p.passed).map((p) => `probe "${p.name}" returned true`)];
  if (!last) return ['no earlier drill of this series: this one becomes what the next is held to'];
  return [`held to the last drill of this series (${last.at.slice(0, 10)}, ${Object.keys(last.tables).length} tables)`];
}

/** A run as a list of steps with a progress bar while it reads, then what it found and its verdict. */
export function StepsView({ title, run, frame, width, height, cancelled, notes = [], scroll = 0 }: { title: string; run: StepsRun | undefined; frame: number; width: number; height: number; cancelled: string; notes?: string[]; /** the findings pane's first line */ scroll?: number }) {
  const [paneRef, room] = useRoom(2);
  const p = run?.progress;
  const result = run?.result;
  const look = result ? statusLook(result.status) : undefined;
  const problems = (result?.findings ?? run?.findings ?? []).filter((f) => f.severity !== 'info' && !f.message.startsWith('reading stopped at byte'));
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text bold wrap="truncate">
        {title}
      </Text>
      {run?.state === 'queued' && <Text dimColor>{GLYPH.queued} queued behind other checks…</Text>}
      {run?.steps.map((s) => {
        const g = stepGlyph(s.state, frame);
        return (
          <Text key={s.id} wrap="wrap">
            <Text color={g.color}>{g.glyph}</Text> {s.title}
            {s.detail ? <Text dimColor> {s.detail}</Text> : null}
          </Text>
        );
      })}
      {p && run?.state === 'running' && (
        <Box flexDirection="column">
          <ProgressBar done={p.done} total={p.total} width={Math.min(50, width - 2)} />
          <Text dimColor wrap="truncate">
            {formatBytes(p.done)} of {formatBytes(p.total)} read · {formatRate(p.bytesPerSec)} · ETA {p.etaSeconds === undefined ? '?' : formatDuration(p.etaSeconds)}
          </Text>
        </Box>
      )}
      {result?.salvage && (
        <Box flexDirection="column" marginTop={1}>
          <Text bold color={tint('red')}>Salvage</Text>
          <Text wrap="wrap">
            stopped at byte {result.salvage.compressedOffset} of the file (byte {result.salvage.uncompressedOffset} uncompressed)
          </Text>
          {result.salvage.member && <Text wrap="wrap">first damaged member: {result.salvage.member}</Text>}
          <Text wrap="wrap">
            before it: {result.salvage.recoverableMembers} members ({formatBytes(result.salvage.recoverableBytes)}); not read by tar: {formatBytes(result.salvage.unreadBytes)}
          </Text>
          {result.salvage.past && <Text wrap="wrap">{salvageLine(result.salvage.past)}</Text>}
        </Box>
      )}
      <Box ref={paneRef} flexDirection="column" flexGrow={1} flexShrink={1} overflow="hidden">
        <FindingsPane lines={findingLines(problems, width)} height={room} offset={scroll} />
      </Box>
      {notes.map((n, i) => (
        <Text key={`n${i}`} wrap="wrap" dimColor>
          {n}
        </Text>
      ))}
      {result && (
        <Text bold color={look?.color} wrap="wrap">
          {look?.glyph} {statusWord(result)}
          <Text dimColor>{verdict(run!)}</Text>
        </Text>
      )}
      {run?.state === 'cancelled' && <Text color={tint('yellow')}>{GLYPH.warn} {cancelled}</Text>}
      {run?.state === 'failed' && <Lines lines={wrappedLines([{ glyph: GLYPH.warn, text: run.error ?? 'failed', color: tint('yellow') }], width)} />}
    </Box>
  );
}
