import { Box, Text } from 'ink';
import { basename } from 'node:path';
import { useEffect, useState } from 'react';
import { DEFAULT_BLOCK_SIZE, outputsFor } from '../../core/checks/create.js';
import type { BackupScreenProps } from './screen-props.js';
import type { StepsKind } from '../../core/checks/queue.js';
import { discover, type Discovery } from '../../core/manifest/discover.js';
import type { Expectation } from '../../core/manifest/model.js';
import { formatBytes, printable } from '../../output/format.js';
import { regionLine } from '../../output/report.js';
import { Confirm } from '../components/confirm.js';
import { CopiesSection } from '../components/copies-section.js';
import { FindingsPane, findingItem, wrappedLines } from '../components/findings-pane.js';
import { healPlan, type HealPlan } from '../copies/heal-plan.js';
import type { CopyChecks } from '../copies/copy-checks.js';
import { useKeys } from '../hooks/use-keys.js';
import { useRoom } from '../hooks/use-room.js';
import { useCopy } from '../input/clipboard.js';
import { exportPrompt } from '../input/use-export.js';
import { usePrompt } from '../input/use-prompt.js';
import { formatAge } from '../format-age.js';
import { rowStatus } from './list-screen.js';
import { GLYPH, stateLook, tint } from '../theme.js';
import { strengthOf } from '../../core/schedule/strength.js';
import { useSession } from '../session/use-session.js';

function describe(e: Expectation): string {
  const parts: string[] = [];
  if (e.size !== undefined) parts.push(`size ${e.size}`);
  for (const [algo, hex] of Object.entries(e.digests)) parts.push(`${algo} ${hex.slice(0, 16)}…`);
  if (e.blockMap) parts.push(`${e.blockMap.total_blocks} blocks of ${formatBytes(e.blockMap.block_size)}`);
  if (e.createdAt) parts.push(`written ${formatAge(Date.parse(e.createdAt))} ago`);
  return parts.join(' · ');
}

export interface DetailScreenProps extends BackupScreenProps {
  onVerify: () => void;
  onSteps: (kind: StepsKind) => void;
  onBlocks: () => void;
  /** manifests were written beside the backup */
  onWritten: () => void;
  /** storage locations, when configured: the Copies section, c and h */
  copies?: CopyChecks;
  /** a heal was started: show its steps */
  onHeal: () => void;
}

/** Everything known about one backup: each manifest and what it says, the last result, and actions. */
export function DetailScreen({ entry, queue, width, height, active, onBack, onVerify, onBlocks, onSteps, onWritten, copies, onHeal }: DetailScreenProps) {
  const [found, setFound] = useState<Discovery | undefined>();
  const [confirming, setConfirming] = useState(false);
  const [healing, setHealing] = useState<HealPlan | undefined>();
  const [notice, setNotice] = useState('');
  const toClipboard = useCopy();
  const prompt = usePrompt(active);
  const [copy, setCopy] = useState(0);
  const [scroll, setScroll] = useState(0);
  const [paneRef, findingsRoom] = useRoom(2);
  const places = copies?.placesFor(entry) ?? [];
  const run = queue.get(entry.file);
  const created = run?.kind === 'create' && run.state === 'done';
  useEffect(() => {
    let live = true;
    void discover([entry.file]).then((d) => live && setFound(d));
    if (created) onWritten();
    return () => {
      live = false;
    };
  }, [entry.file, created]);

  const copyKeys = copies && {
    up: () => setCopy((c) => Math.max(0, c - 1)),
    down: () => setCopy((c) => Math.min(places.length - 1, c + 1)),
    checkCopies: () => (setNotice(''), copies.check(entry)),
    heal: () => {
      const plan = healPlan(copies, entry, places[copy]?.name);
      if (typeof plan === 'string') return setNotice(plan);
      setNotice('');
      setHealing(plan);
    },
  };
  useKeys('detail', { back: onBack, verify: onVerify, blockMap: onBlocks, deep: () => onSteps('deep'), restore: () => onSteps('restore'), drill: () => onSteps('drill'), create: () => setConfirming(true), pageDown: () => setScroll((s) => Math.min(s + findingsRoom - 1, Math.max(0, findings.length - findingsRoom))), pageUp: () => setScroll((s) => Math.max(0, s - findingsRoom + 1)), copy: () => setNotice(toClipboard(entry.file)), export: () => prompt.open(exportPrompt(session, () => [entry], `Backup ${entry.name}`, setNotice)), ...copyKeys }, active && !confirming && !healing && !prompt.isOpen);

  const expectations = found?.targets.find((t) => t.file === entry.file)?.expectations ?? [];
  // The damaged regions, then the other findings: wrapped, never cut, in a pane that scrolls.
  const findings = wrappedLines(
    [
      ...(run?.result?.regions ?? []).map((r) => ({ glyph: GLYPH.bad, text: regionLine(r, true), color: tint('red') })),
      ...(run?.result?.findings ?? []).filter((f) => f.severity !== 'info' && !f.message.includes(' region: ')).map(findingItem),
    ],
    width,
  );
  const session = useSession();
  const state = session.state(entry);
  const status = rowStatus(run, state);
  // Every check kind's latest result, strongest first: what the one state is made of.
  const checks = Object.entries(session.records(entry)).sort(([a], [b]) => strengthOf(b) - strengthOf(a));
  const lastDrill = session.lastDrill(entry.file);
  const outputs = outputsFor(entry.file, { blockSize: DEFAULT_BLOCK_SIZE }).map((p) => basename(p));
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text bold wrap="truncate">
        {printable(entry.name)}
      </Text>
      <Text wrap="truncate">
        {formatBytes(entry.size)} ({entry.size} bytes) · modified {formatAge(entry.mtimeMs)} ago · {entry.folder}
      </Text>
      <Text wrap="wrap">
        status: <Text color={status.color}>{status.glyph} {status.word}</Text>
        {state?.failing ? ` found by the ${state.check} check ${formatAge(Date.parse(state.at))} ago` : status.when ? ` (${formatAge(Date.parse(status.when))} ago)` : ''}
        {state?.latest ? `; not cleared by the ${state.latest.check} check since (${stateLook({ ...state.latest, failing: false }).word})` : ''}
        {run?.state === 'failed' && run.error ? ` — ${run.error}` : ''}
      </Text>
      {checks.length > 0 && (
        <Text wrap="wrap" dimColor>
          checks: {checks.map(([check, r]) => `${check} ${stateLook({ ...r, check, failing: false }).word} ${formatAge(Date.parse(r.at))} ago`).join(' · ')}
        </Text>
      )}
      {lastDrill && (
        <Text wrap="wrap" dimColor>
          last drill that passed: {formatAge(Date.parse(lastDrill.at))} ago, {Object.values(lastDrill.tables).reduce((n, r) => n + r, 0)} rows in {Object.keys(lastDrill.tables).length} tables
          {lastDrill.file === entry.file ? '' : ` (of ${printable(basename(lastDrill.file))}, the same series)`}
        </Text>
      )}
      <Text> </Text>
      <Text bold>Manifests</Text>
      {found === undefined && <Text dimColor>reading…</Text>}
      {found && expectations.length === 0 && (
        <Text color={tint('yellow')}>{GLYPH.warn} none found: nothing says what this backup should contain. Press m to write one.</Text>
      )}
      {expectations.map((e, i) => (
        <Box key={i} flexDirection="column">
          <Text wrap="truncate">
            {GLYPH.cursor} {basename(e.manifest)}
            {e.line ? `:${e.line}` : ''} <Text dimColor>({e.kind})</Text>
          </Text>
          <Text wrap="truncate" dimColor>
            {'    '}
            {describe(e)}
          </Text>
        </Box>
      ))}
      {found?.problems.map((p, i) => (
        <Text key={`p${i}`} color={tint('yellow')} wrap="truncate">
          {GLYPH.warn} {p.message}
        </Text>
      ))}
      {copies && <Text> </Text>}
      {copies && <CopiesSection entry={entry} copies={copies} selected={copy} />}
      {notice && (
        <Text color={tint('yellow')} wrap="truncate">
          {GLYPH.warn} {notice}
        </Text>
      )}
      {run?.result && ((run.result.regions?.length ?? 0) > 0 || run.result.findings.some((f) => f.severity !== 'info')) && <Text bold>{'\n'}Last check</Text>}
      <Box ref={paneRef} flexDirection="column" flexGrow={1} flexShrink={1} overflow="hidden">
        <FindingsPane lines={findings} height={findingsRoom} offset={scroll} />
      </Box>
      {prompt.line && <Text wrap="truncate">{prompt.line}</Text>}
      {confirming && (
        <Confirm
          lines={[`This writes ${outputs.join(' and ')} beside the backup (sha256 and a block map of ${formatBytes(DEFAULT_BLOCK_SIZE)} blocks).`, expectations.length > 0 ? 'Existing manifests of these names are replaced.' : 'The backup itself is only read.']}
          onAnswer={(yes) => {
            setConfirming(false);
            if (yes) queue.enqueue(entry.file, 'create', { force: true });
          }}
        />
      )}
      {healing && (
        <Confirm
          lines={healing.lines}
          question="Heal it?"
          onAnswer={(yes) => {
            setHealing(undefined);
            if (yes && copies) {
              copies.heal(entry, healing.target, healing.source);
              onHeal();
            }
          }}
        />
      )}
    </Box>
  );
}
