import { Box, Text } from 'ink';
import { bindingsFor, type Feature, type Screen } from '../keys.js';
import { tint } from '../theme.js';

/** `?`: every key of this screen, generated from the same table that handles input. */
export function HelpOverlay({ screen, width, features }: { screen: Screen; width: number; features?: ReadonlySet<Feature> }) {
  const bindings = bindingsFor(screen, features);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={tint('cyan')} paddingX={1} width={Math.min(width, 72)}>
      <Text bold>Keys on this screen</Text>
      {bindings.map((b) => (
        <Text key={b.action} wrap="truncate">
          <Text color={tint('cyan')}>{b.keys.map((k) => (k === 'return' ? 'enter' : k === 'escape' ? 'esc' : k)).join(', ').padEnd(14)}</Text>
          {b.help}
        </Text>
      ))}
      <Text dimColor>✓ intact  ✗ damaged  ! could not check  · not verified. Any key closes this.</Text>
    </Box>
  );
}
