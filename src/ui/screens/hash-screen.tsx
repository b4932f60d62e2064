import { Box, Text } from 'ink';
import type { BackupScreenProps } from './screen-props.js';
import type { CheckResult } from '../../core/events/types.js';
import { formatBytes, formatDuration, formatRate, printable } from '../../output/format.js';
import { regionLine } from '../../output/report.js';
import { Lines, wrappedLines } from '../components/findings-pane.js';
import { ProgressBar } from '../components/progress-bar.js';
import { useKeys } from '../hooks/use-keys.js';
import { GLYPH, statusLook, tint } from '../theme.js';

/** " (1.00 GiB in 0.74 s, 1.35 GiB/s)": what the check read and how long it took. */
function timing(result: CheckResult): string {
  const seconds = result.durationMs / 1000;
  if (result.size === undefined || !result.checks.some((c) => c === 'hash' || c === 'blocks')) return ` in ${seconds.toFixed(2)} s`;
  return ` (${formatBytes(result.size)} in ${seconds.toFixed(2)} s${seconds > 0 ? `, ${formatRate(result.size / seconds)}` : ''})`;
}

/** Live verification: a bar per digest, throughput, ETA; then expected against actual. */
export function HashScreen({ entry, queue, width, height, active, onBack }: BackupScreenProps) {
  const run = queue.get(entry.file);
  useKeys('hash', { back: () => (run?.state === 'running' || run?.state === 'queued' ? queue.cancel(entry.file) : undefined, onBack()) }, active);
  const p = run?.progress;
  const parts = Object.entries(p?.parts ?? {});
  const result = run?.result;
  const look = result ? statusLook(result.status) : undefined;
  const labelWidth = 8;
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text bold wrap="truncate">
        verify {printable(entry.name)}
      </Text>
      {run?.state === 'queued' && <Text dimColor>{GLYPH.queued} queued behind other checks…</Text>}
      {run?.steps.map((s) => (
        <Text key={s.id} wrap="truncate">
          {s.state === 'ok' ? GLYPH.ok : s.state === 'failed' ? GLYPH.bad : s.state === 'running' ? GLYPH.running : GLYPH.unknown} {s.title}
          {s.detail ? <Text dimColor> {s.detail}</Text> : null}
        </Text>
      ))}
      {p && !result && (
        <Box flexDirection="column" marginTop={1}>
          {(parts.length > 0 ? parts : [[run?.phase ?? 'read', p.done] as [string, number]]).map(([label, done]) => (
            <Text key={label}>
              {label.padEnd(labelWidth)}
              <ProgressBar done={done} total={p.total} width={Math.min(50, width - labelWidth - 2)} />
            </Text>
          ))}
          <Text wrap="truncate">
            {formatBytes(p.done)} of {formatBytes(p.total)} · {formatRate(p.bytesPerSec)} · ETA {p.etaSeconds === undefined ? '?' : formatDuration(p.etaSeconds)}
          </Text>
        </Box>
      )}
      {result && (
        <Box flexDirection="column" marginTop={1}>
          <Text bold color={look?.color}>
            {look?.glyph} {look?.word}
            <Text dimColor>{timing(result)}</Text>
          </Text>
          {Object.entries(result.digests ?? {}).map(([algo, d]) =>
            d.ok ? (
              <Text key={algo} wrap="truncate">
                {GLYPH.ok} {algo.padEnd(7)} {d.actual}
              </Text>
            ) : (
              // A mismatch gets a line per digest, so a sha256 fits 80 columns whole.
              <Box key={algo} flexDirection="column">
                <Text wrap="truncate">
                  {GLYPH.bad} {algo} mismatch
                </Text>
                <Text wrap="truncate">  expected {d.expected}</Text>
                <Text wrap="truncate" color={tint('red')} bold>
                  {'  '}actual   {d.actual}
                </Text>
              </Box>
            ),
          )}
          <Lines
            lines={wrappedLines(
              [
                ...(result.regions ?? []).slice(0, 5).map((r) => ({ glyph: GLYPH.bad, text: regionLine(r), color: tint('red') })),
                ...result.findings.filter((f) => f.severity !== 'info' && !/mismatch:|region:/.test(f.message)).slice(0, 3).map((f) => ({ glyph: GLYPH.warn, text: f.message, color: tint('yellow') })),
              ],
              width,
            )}
          />
          {(result.regions?.length ?? 0) > 5 && <Text dimColor>  … {result.regions!.length - 5} more regions in the block map (b)</Text>}
          {(result.regions?.length ?? 0) > 0 && <Text dimColor>press esc, then b for the block map</Text>}
        </Box>
      )}
      {run?.state === 'cancelled' && <Text color={tint('yellow')}>{GLYPH.warn} cancelled</Text>}
      {run?.state === 'failed' && <Lines lines={wrappedLines([{ glyph: GLYPH.warn, text: run.error ?? 'failed', color: tint('yellow') }], width)} />}
    </Box>
  );
}
