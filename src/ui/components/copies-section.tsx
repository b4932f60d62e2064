import { Box, Text } from 'ink';
import type { BackupEntry } from '../../core/inventory/inventory.js';
import type { CopyChecks } from '../copies/copy-checks.js';
import { checkedAgo, copyLook, evidenceOf } from '../copies/copy-look.js';
import { GLYPH, tint } from '../theme.js';

const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));

/**
 * Every copy of a backup, one line each: where, its state, what the state
 * rests on, when it was checked; then the selected copy's first error.
 */
export function CopiesSection({ entry, copies, selected }: { entry: BackupEntry; copies: CopyChecks; selected: number }) {
  const places = copies.placesFor(entry);
  const run = copies.run(entry);
  const nameWidth = Math.min(14, Math.max(8, ...places.map((p) => p.name.length)));
  const chosen = places[selected];
  const error = chosen && copies.known(entry, chosen.name).error;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Copies{run?.state === 'failed' ? <Text color={tint('yellow')}>{`  ${GLYPH.warn} ${run.error}`}</Text> : null}
      </Text>
      {places.map((p, i) => {
        const known = copies.known(entry, p.name);
        const look = copyLook(known, run, p.name);
        return (
          <Text key={p.name} wrap="truncate" inverse={i === selected}>
            {i === selected ? `${GLYPH.cursor} ` : '  '}
            {fit(p.name, nameWidth)} <Text color={i === selected ? undefined : look.color}>{fit(`${look.glyph} ${look.word}`, 16)}</Text> {fit(evidenceOf(known), 20)} {fit(checkedAgo(known), 8)}
            <Text dimColor> {p.display}</Text>
          </Text>
        );
      })}
      {error ? (
        <Text color={tint('red')} wrap="truncate">
          {'  '}
          {GLYPH.bad} {chosen!.name}: {error}
        </Text>
      ) : null}
    </Box>
  );
}
