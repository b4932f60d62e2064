import { Box, Text } from 'ink';
import wrapAnsi from 'wrap-ansi';
import { bindingsFor, type Action, type Binding, type Feature, type Screen } from '../keys.js';
import { tint } from '../theme.js';

/** Actions that read best as one line of the help: "move up / move down". */
const PAIRS: [Action, Action][] = [
  ['up', 'down'],
  ['left', 'right'],
  ['top', 'bottom'],
  ['pageUp', 'pageDown'],
  ['nextRegion', 'prevRegion'],
  ['nextFailure', 'prevFailure'],
  ['sort', 'reverse'],
  // On one line: a 20-row terminal needs the room for the keys only the help shows.
  ['help', 'quit'],
];

const keyText = (keys: string[]) => keys.map((k) => (k === 'return' ? 'enter' : k === 'escape' ? 'esc' : k)).join(', ');

/** The help's lines: each binding, with the second of a pair folded into the first, so the help fits 24 rows. */
export function helpLines(bindings: Binding[]): { keys: string; help: string; action: Action }[] {
  const partnerOf = new Map(PAIRS.flatMap(([a, b]) => [[a, b]]));
  const folded = new Set(PAIRS.filter(([a, b]) => bindings.some((x) => x.action === a) && bindings.some((x) => x.action === b)).map(([, b]) => b));
  return bindings
    .filter((b) => !folded.has(b.action))
    .map((b) => {
      const partner = bindings.find((x) => x.action === partnerOf.get(b.action));
      return partner ? { keys: `${keyText(b.keys)} / ${keyText(partner.keys)}`, help: `${b.help} / ${partner.help}`, action: b.action } : { keys: keyText(b.keys), help: b.help, action: b.action };
    });
}

/**
 * `?`: every key of this screen, generated from the same table that handles
 * input. Descriptions wrap when there is room for it; else every key keeps
 * one line (a key hidden is worse than a description cut). When the terminal
 * is too short, the legend and then the title give way, and what still does
 * not fit is counted, never dropped silently.
 */
export function HelpOverlay({ screen, width, height, features }: { screen: Screen; width: number; height: number; features?: ReadonlySet<Feature> }) {
  const lines = helpLines(bindingsFor(screen, features));
  const keysWidth = Math.min(22, Math.max(14, ...lines.map((l) => l.keys.length + 2)));
  const boxWidth = Math.min(width, 72);
  const helpWidth = Math.max(10, boxWidth - 4 - keysWidth);
  const room = Math.max(1, height - 2);
  const wrapped = lines.flatMap((l) =>
    wrapAnsi(l.help, helpWidth, { hard: true }).split('\n').map((text, i) => ({ id: `${l.action}${i}`, keys: i === 0 ? l.keys : '', text })),
  );
  const rows = wrapped.length + 1 <= room ? wrapped : lines.map((l) => ({ id: l.action, keys: l.keys, text: l.help }));
  const legend = rows.length + 2 <= room;
  const title = rows.length + 1 <= room;
  const fits = Math.max(1, room - (title ? 1 : 0) - (legend ? 1 : 0));
  const shown = rows.length > fits ? rows.slice(0, fits - 1) : rows;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={tint('cyan')} paddingX={1} width={boxWidth}>
      {title && <Text bold>Keys on this screen (any key closes this)</Text>}
      {shown.map((r) => (
        <Text key={r.id} wrap="truncate">
          <Text color={tint('cyan')}>{r.keys.padEnd(keysWidth)}</Text>
          {r.text}
        </Text>
      ))}
      {shown.length < rows.length && <Text dimColor>{`… ${rows.length - shown.length} more lines: a taller terminal shows them`}</Text>}
      {legend && <Text dimColor>✓ intact  ✗ damaged  ! could not check  · not verified</Text>}
    </Box>
  );
}
