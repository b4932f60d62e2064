import { Text } from 'ink';
import { tint } from '../theme.js';

/** [█████░░░░░] with the percentage in words beside it (it reads without colour). */
export function ProgressBar({ done, total, width }: { done: number; total: number; width: number }) {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const inner = Math.max(4, width - 7);
  const filled = Math.round(fraction * inner);
  return (
    <Text>
      <Text color={tint('cyan')}>{'█'.repeat(filled)}</Text>
      <Text dimColor>{'░'.repeat(inner - filled)}</Text>
      <Text> {String(Math.floor(fraction * 100)).padStart(3)}%</Text>
    </Text>
  );
}
