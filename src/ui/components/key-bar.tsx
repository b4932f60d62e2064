import { Text } from 'ink';
import { bindingsFor, type Feature, type Screen } from '../keys.js';
import { tint } from '../theme.js';

const ALWAYS = new Set(['help', 'quit']);

/**
 * The bottom line: the keys that matter on this screen, from the key table.
 * `? help` and `q quit` always fit; others are dropped from the end when narrow.
 */
export function KeyBar({ screen, width, features }: { screen: Screen; width: number; features?: ReadonlySet<Feature> }) {
  const bar = bindingsFor(screen, features).filter((b) => b.bar);
  const part = (b: (typeof bar)[number]) => `${b.label} ${b.short ?? b.help}`;
  const fixed = bar.filter((b) => ALWAYS.has(b.action)).map(part);
  let room = width - fixed.reduce((n, p) => n + p.length + 2, 0);
  const rest: string[] = [];
  for (const b of bar.filter((x) => !ALWAYS.has(x.action))) {
    const p = part(b);
    if (p.length + 2 > room) break;
    rest.push(p);
    room -= p.length + 2;
  }
  return (
    <Text color={tint('cyan')} wrap="truncate">
      {[...rest, ...fixed].join('  ')}
    </Text>
  );
}
