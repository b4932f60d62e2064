import { Box, Text } from 'ink';
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
];

const keyText = (keys: string[]) => keys.map((k) => (k === 'return' ? 'enter' : k === 'escape' ? 'esc' : k)).join(', ');

/** The help's lines: each binding, with the second of a pair folded into the first, so the help fits 24 rows. */
function helpLines(bindings: Binding[]): { keys: string; help: string; action: Action }[] {
  const partnerOf = new Map(PAIRS.flatMap(([a, b]) => [[a, b]]));
  const folded = new Set(PAIRS.filter(([a, b]) => bindings.some((x) => x.action === a) && bindings.some((x) => x.action === b)).map(([, b]) => b));
  return bindings
    .filter((b) => !folded.has(b.action))
    .map((b) => {
      const partner = bindings.find((x) => x.action === partnerOf.get(b.action));
      return partner ? { keys: `${keyText(b.keys)} / ${keyText(partner.keys)}`, help: `${b.help} / ${partner.help}`, action: b.action } : { keys: keyText(b.keys), help: b.help, action: b.action };
    });
}

/** `?`: every key of this screen, generated from the same table that handles input. */
export function HelpOverlay({ screen, width, features }: { screen: Screen; width: number; features?: ReadonlySet<Feature> }) {
  const lines = helpLines(bindingsFor(screen, features));
  const keysWidth = Math.min(22, Math.max(14, ...lines.map((l) => l.keys.length + 2)));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={tint('cyan')} paddingX={1} width={Math.min(width, 72)}>
      <Text bold>Keys on this screen (any key closes this)</Text>
      {lines.map((l) => (
        <Text key={l.action} wrap="truncate">
          <Text color={tint('cyan')}>{l.keys.padEnd(keysWidth)}</Text>
          {l.help}
        </Text>
      ))}
      <Text dimColor>✓ intact  ✗ damaged  ! could not check  · not verified</Text>
    </Box>
  );
}
