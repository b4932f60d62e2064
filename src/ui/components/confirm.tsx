import { Box, Text } from 'ink';
import { PRIORITY, useKeypress } from '../input/keypress.js';
import { tint } from '../theme.js';

/** A yes/no question; only `y` says yes. It takes every key while it is open. */
export function Confirm({ lines, question = 'Write them?', onAnswer }: { lines: string[]; question?: string; onAnswer: (yes: boolean) => void }) {
  useKeypress(
    (name) => {
      if (name === 'y' || name === 'Y') onAnswer(true);
      else if (name === 'n' || name === 'N' || name === 'escape' || name === 'return') onAnswer(false);
      return true;
    },
    { priority: PRIORITY.prompt },
  );
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={tint('yellow')} paddingX={1}>
      {lines.map((l, i) => (
        <Text key={i} wrap="wrap">
          {l}
        </Text>
      ))}
      <Text bold>{question} y/N</Text>
    </Box>
  );
}
