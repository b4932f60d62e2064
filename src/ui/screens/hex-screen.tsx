import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { openBackup } from '../../core/hash/file-identity.js';
import { ZERO_RUN, findBytes, findDifference, findZeroRun, parseNeedle, type RangeReader } from '../../core/inspect/find-bytes.js';
import type { CopyChecks } from '../copies/copy-checks.js';
import type { BackupEntry } from '../../core/inventory/inventory.js';
import { cutMiddle, formatBytes, printable } from '../../output/format.js';
import { useKeys } from '../hooks/use-keys.js';
import { useCopy } from '../input/clipboard.js';
import { memberMarks } from '../components/hex-members.js';
import { HexDiffRow, hexDiffHeading } from '../components/hex-diff.js';
import { useTarMembers } from '../hooks/use-tar-members.js';
import { parsePosition, usePrompt } from '../input/use-prompt.js';
import { GLYPH, tint } from '../theme.js';

/** Bytes per line: 16 when the line fits (78 columns, 80 with a tar member's mark), else 8; side by side, half that. */
const perLineFor = (width: number, side = false): number => (side ? (width >= 80 ? 8 : 4) : width >= 80 ? 16 : 8);

/**
 * One line of the view: the byte offset in decimal (as everywhere else in
 * the tool), the tar member's letter when there is one, 16 bytes in hex,
 * and as text.
 */
export function hexLine(offset: number, bytes: Uint8Array, mark = '', perLine = 16): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0'));
  const half = perLine / 2;
  const left = hex.slice(0, half).join(' ').padEnd(half * 3 - 1);
  const right = hex.slice(half).join(' ').padEnd(half * 3 - 1);
  const ascii = [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${String(offset).padStart(10, '0')}${mark ? ` ${mark}` : ''}  ${left}  ${right}  ${ascii}`;
}

/** The column heading over the bytes: each one's place in the line, in two halves. */
function hexHeading(perLine: number): string {
  const col = (i: number) => i.toString(16).padStart(2, '0');
  const half = perLine / 2;
  return `${Array.from({ length: half }, (_, i) => col(i)).join(' ')}  ${Array.from({ length: half }, (_, i) => col(i + half)).join(' ')}`;
}

type Block = { index: number; offset: number; size: number };

/** A copy elsewhere that its last check found verified, when there is one: `n` finds where the backup differs from it. */
function useHealthyCopy(entry: BackupEntry, copies?: CopyChecks): { name: string; readRange: RangeReader } | undefined {
  const [reference, setReference] = useState<{ name: string; readRange: RangeReader }>();
  useEffect(() => {
    let live = true;
    void copies?.healthyCopy(entry).then((r) => live && setReference(r), () => {});
    return () => {
      live = false;
    };
  }, [entry.file, copies]);
  return reference;
}

/**
 * The bytes of one block, 16 to a line with absolute offsets; read a page
 * at a time, read-only. `:` goes to a byte offset, `/` searches for bytes
 * or text, `n` finds the next match (or, with no search, the next run of
 * zero bytes: where a lost write or a hole usually shows).
 */
export function HexScreen({ entry, block, width, height, active, onBack, copies }: { entry: BackupEntry; block: Block; width: number; height: number; active: boolean; onBack: () => void; copies?: CopyChecks }) {
  const members = useTarMembers(entry.file);
  const [side, setSide] = useState(false);
  const PER_LINE = perLineFor(width, side);
  const reference = useHealthyCopy(entry, copies);
  const [theirs, setTheirs] = useState<{ at: number; bytes: Uint8Array }>();
  // A tar's legend takes lines of its own: a heading and one per member in view (each has a 512-byte header).
  const legendRoom = members.length > 0 ? 1 + Math.min(3, 1 + Math.ceil(((height - 4) * PER_LINE) / 512)) : 0;
  const lines = Math.max(1, height - 4 - legendRoom);
  const totalLines = Math.ceil(block.size / PER_LINE);
  const [top, setTop] = useState(0);
  const [data, setData] = useState<{ at: number; bytes: Uint8Array } | undefined>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState('');
  const [needle, setNeedle] = useState<Uint8Array | undefined>();
  const [found, setFound] = useState<{ at: number; length: number; run: number } | undefined>();
  const prompt = usePrompt(active);
  const copy = useCopy();
  useEffect(() => {
    let live = true;
    const at = block.offset + top * PER_LINE;
    const want = Math.min(lines * PER_LINE, block.offset + block.size - at);
    void (async () => {
      try {
        const h = await openBackup(entry.file);
        try {
          const buf = Buffer.alloc(Math.max(0, want));
          const { bytesRead } = await h.read(buf, 0, buf.length, at);
          if (live) setData({ at, bytes: buf.subarray(0, bytesRead) });
        } finally {
          await h.close();
        }
      } catch (err) {
        if (live) setError(err instanceof Error ? err.message : String(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [entry.file, block.offset, top, lines, PER_LINE]);
  // Side by side: the same bytes of the verified copy elsewhere.
  useEffect(() => {
    if (!side || !reference) return setTheirs(undefined);
    let live = true;
    const at = block.offset + top * PER_LINE;
    const want = Math.min(lines * PER_LINE, block.offset + block.size - at);
    reference.readRange(at, Math.max(0, want)).then(
      (bytes) => live && setTheirs({ at, bytes }),
      (err: unknown) => live && setNotice(`the copy in ${reference.name}: ${err instanceof Error ? err.message : String(err)}`),
    );
    return () => {
      live = false;
    };
  }, [side, reference, block.offset, top, lines, PER_LINE]);
  const scroll = (to: number) => setTop(Math.max(0, Math.min(Math.max(0, totalLines - lines), to)));
  const end = block.offset + block.size;
  const show = (offset: number) => scroll(Math.floor((offset - block.offset) / PER_LINE));

  /**
   * Searches forward from the line after the top one: for bytes, for a run
   * of zeros, or for the next bytes that differ from a verified copy.
   * Says where it found them, or that it did not.
   */
  const find = async (what: Uint8Array | 'zeros' | 'difference', from: number) => {
    const noun = what === 'difference' ? `difference from the copy in ${reference!.name}` : what === 'zeros' ? `run of ${ZERO_RUN} or more zero bytes` : `“${printable(Buffer.from(what).toString('latin1'))}”`;
    setNotice(`searching for the next ${noun}…`);
    try {
      const hit =
        what === 'difference' ? await findDifference(entry.file, reference!.readRange, from, end)
        : what === 'zeros' ? await findZeroRun(entry.file, from, end)
        : await findBytes(entry.file, what, from, end).then((at) => (at === undefined ? undefined : { at, length: what.length }));
      if (hit === undefined) return setNotice(`no ${noun} after byte ${from} in this block`);
      setFound({ ...hit, run: what !== 'difference' && what !== 'zeros' ? 1 : hit.length });
      show(hit.at);
      const bytes = (n: number) => `${n} ${n === 1 ? 'byte' : 'bytes'}`;
      setNotice(
        what === 'difference' ? `${bytes(hit.length)} ${hit.length === 1 ? 'differs' : 'differ'} from the copy in ${reference!.name} at byte ${hit.at}`
        : what === 'zeros' ? `${bytes(hit.length)} of zeros at byte ${hit.at}${hit.at % 4096 === 0 && hit.length % 4096 === 0 ? ' (4 KiB aligned)' : hit.at % 512 === 0 && hit.length % 512 === 0 ? ' (512-byte aligned)' : ''}`
        : `${noun} at byte ${hit.at}`,
      );
    } catch (err) {
      setNotice(err instanceof Error ? err.message : String(err));
    }
  };
  // n goes past the whole run it found (a zero run or differing bytes), or one byte on for a search: matches may overlap.
  const after = () => (found && found.at >= block.offset + top * PER_LINE ? found.at + found.run : block.offset + (top + 1) * PER_LINE);

  useKeys(
    'hex',
    {
      back: onBack,
      up: () => scroll(top - 1),
      down: () => scroll(top + 1),
      pageUp: () => scroll(top - lines),
      pageDown: () => scroll(top + lines),
      top: () => scroll(0),
      bottom: () => scroll(totalLines),
      goTo: () =>
        prompt.open({
          label: `go to byte (${block.offset}-${end - 1}, or 0x…)`,
          onSubmit: (text) => {
            const p = parsePosition(text.startsWith('@') || /^0x/i.test(text) ? text : `@${text}`);
            if (!p || !('offset' in p)) return setNotice(`not a byte offset: ${text}`);
            if (p.offset < block.offset || p.offset >= end) return setNotice(`byte ${p.offset} is outside this block (bytes ${block.offset}-${end - 1})`);
            setFound({ at: p.offset, length: 1, run: 1 });
            show(p.offset);
            setNotice('');
          },
        }),
      search: () =>
        prompt.open({
          label: 'search (hex bytes, or text)',
          onSubmit: (text) => {
            const n = parseNeedle(text);
            if (!n) return setNotice('nothing to search for');
            setNeedle(n);
            void find(n, block.offset + top * PER_LINE);
          },
        }),
      nextMatch: () => void find(needle ?? (reference ? 'difference' : 'zeros'), after()),
      sideBySide: () => {
        if (!reference) return setNotice('no verified copy elsewhere to set beside this one: check the copies (c) first');
        // The byte at the top stays at the top.
        const first = block.offset + top * PER_LINE;
        const next = perLineFor(width, !side);
        setSide(!side);
        setTop(Math.floor((first - block.offset) / next));
        setNotice(side ? '' : `left: this copy; right: the copy in ${reference.name}, where it differs (·· the same)`);
      },
      copy: () => setNotice(copy(`${entry.file} byte ${found && found.at >= block.offset + top * PER_LINE && found.at < block.offset + (top + lines) * PER_LINE ? found.at : block.offset + top * PER_LINE}`)),
    },
    active && !prompt.isOpen,
  );
  const offsets: number[] = [];
  for (let i = 0; data && i < data.bytes.length; i += PER_LINE) offsets.push(data.at + i);
  const { marks, legend } = side ? { marks: [], legend: [] } : memberMarks(members, offsets, width);
  const rows = offsets.map((at, k) => ({
    at,
    bytes: data!.bytes.subarray(at - data!.at, at - data!.at + PER_LINE),
    text: hexLine(at, data!.bytes.subarray(at - data!.at, at - data!.at + PER_LINE), marks[k], PER_LINE),
    hit: found !== undefined && found.at < at + PER_LINE && found.at + found.length > at,
  }));
  // The other copy's bytes for a line, once they are read for this page (its end may come first: "--").
  const theirBytes = (at: number) => (theirs && theirs.at === data?.at ? theirs.bytes.subarray(at - theirs.at, at - theirs.at + PER_LINE) : undefined);
  // Where this is, whole: the size in words gives way first, then the backup's name is cut in the middle.
  const where = (size: string) => `: bytes ${block.offset}-${end - 1}${size}, line ${top + 1}/${totalLines}`;
  const long = where(` (${formatBytes(block.size)})`);
  const tail = `block ${block.index} of `.length + printable(entry.name).length + long.length <= width ? long : where('');
  const title = `block ${block.index} of ${cutMiddle(printable(entry.name), Math.max(8, width - `block ${block.index} of `.length - tail.length))}${tail}`;
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate">
        {title}
      </Text>
      <Text dimColor wrap="truncate">{side ? `    offset  ${hexDiffHeading(PER_LINE)}  │ ${reference ? `in ${reference.name}` : ''}` : `    offset${members.length > 0 ? '  ' : ''}  ${hexHeading(PER_LINE)}  text`}</Text>
      {error && <Text>{error}</Text>}
      {data && data.bytes.length === 0 && <Text>(no bytes here: the file ends at byte {data.at} or before, so this part of the block is missing)</Text>}
      {rows.map((r, i) =>
        side ? (
          <HexDiffRow key={i} offset={r.at} ours={r.bytes} theirs={theirBytes(r.at)} perLine={PER_LINE} hit={r.hit} />
        ) : (
          <Text key={i} bold={r.hit} color={r.hit ? tint('yellow') : undefined}>
            {r.text}
          </Text>
        ),
      )}
      <Box flexGrow={1} />
      {legend.length > 0 && <Text dimColor>members (capital: header, small: data, .: padding)</Text>}
      {legend.slice(0, legendRoom - 1).map((l) => (
        <Text key={l} wrap="truncate">
          {l}
        </Text>
      ))}
      <Text wrap="truncate" color={prompt.isOpen ? undefined : tint('yellow')}>
        {prompt.line ?? (notice ? `${GLYPH.warn} ${notice}` : ' ')}
      </Text>
    </Box>
  );
}
