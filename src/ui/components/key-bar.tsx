import { Text } from 'ink';
import { bindingsFor, type Screen } from '../keys.js';
import { tint } from '../theme.js';

/** The bottom line: the keys that matter on this screen, from the key table. */
export function KeyBar({ screen, width }: { screen: Screen; width: number }) {
  const parts: string[] = [];
  let used = 0;
  for (const b of bindingsFor(screen).filter((x) => x.bar)) {
    const part = `${b.label} ${b.help.split(/[ (,:]/)[0]}`;
    if (used + part.length + 2 > width) break;
    parts.push(part);
    used += part.length + 2;
  }
  return (
    <Text color={tint('cyan')} wrap="truncate">
      {parts.join('  ')}
    </Text>
  );
}
