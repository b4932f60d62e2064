import { Box, Text, useInput } from 'ink';
import { tint } from '../theme.js';

/** A yes/no question; only `y` says yes. */
export function Confirm({ lines, question = 'Write them?', onAnswer }: { lines: string[]; question?: string; onAnswer: (yes: boolean) => void }) {
  useInput((input, key) => {
    if (input === 'y' || input === 'Y') onAnswer(true);
    else if (input === 'n' || input === 'N' || key.escape || key.return) onAnswer(false);
  });
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
