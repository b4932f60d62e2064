import { Box, Text } from 'ink';
import { openBackup } from '../../core/hash/file-identity.js';
import { useEffect, useState } from 'react';
import type { BackupEntry } from '../../core/inventory/inventory.js';
import { formatBytes, printable } from '../../output/format.js';
import { useKeys } from '../hooks/use-keys.js';

const PER_LINE = 16;

export function hexLine(offset: number, bytes: Uint8Array): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0'));
  const left = hex.slice(0, 8).join(' ').padEnd(23);
  const right = hex.slice(8).join(' ').padEnd(23);
  const ascii = [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${offset.toString(16).padStart(10, '0')}  ${left}  ${right}  ${ascii}`;
}

/** The bytes of one block, 16 to a line with absolute offsets; read a page at a time, read-only. */
export function HexScreen({ entry, block, height, active, onBack }: { entry: BackupEntry; block: { index: number; offset: number; size: number }; height: number; active: boolean; onBack: () => void }) {
  const lines = Math.max(1, height - 3);
  const totalLines = Math.ceil(block.size / PER_LINE);
  const [top, setTop] = useState(0);
  const [data, setData] = useState<{ at: number; bytes: Uint8Array } | undefined>();
  const [error, setError] = useState<string>();
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
  }, [entry.file, block.offset, top, lines]);
  const scroll = (to: number) => setTop(Math.max(0, Math.min(Math.max(0, totalLines - lines), to)));
  useKeys('hex', { back: onBack, up: () => scroll(top - 1), down: () => scroll(top + 1), pageUp: () => scroll(top - lines), pageDown: () => scroll(top + lines), top: () => scroll(0), bottom: () => scroll(totalLines) }, active);
  const rows = [];
  if (data) for (let i = 0; i < data.bytes.length; i += PER_LINE) rows.push(hexLine(data.at + i, data.bytes.subarray(i, i + PER_LINE)));
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate">
        block {block.index} of {printable(entry.name)}: bytes {block.offset}-{block.offset + block.size - 1} ({formatBytes(block.size)}), line {top + 1}/{totalLines}
      </Text>
      <Text dimColor>offset(hex) 00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  ascii</Text>
      {error && <Text>{error}</Text>}
      {data && data.bytes.length === 0 && <Text>(no bytes here: the file ends at byte {data.at} or before, so this part of the block is missing)</Text>}
      {rows.map((r, i) => (
        <Text key={i}>{r}</Text>
      ))}
    </Box>
  );
}
