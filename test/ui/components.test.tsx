import { render, Text } from 'ink';
import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import { FindingsPane, findingLines } from '../../src/ui/components/findings-pane.js';
import { HelpOverlay, helpLines } from '../../src/ui/components/help-overlay.js';
import { memberMarks } from '../../src/ui/components/hex-members.js';
import { Table, type Column } from '../../src/ui/components/table.js';
import { bindingsFor } from '../../src/ui/keys.js';
import { rowStatus } from '../../src/ui/screens/list-screen.js';
import { GLYPH } from '../../src/ui/theme.js';
import { VirtualTerminal } from '../../tools/virtual-terminal.js';

// The screens' parts, drawn alone: no session, no check queue, no hash threads.

/** The lines one element draws on a terminal of this size. */
async function draw(node: ReactElement, columns = 80, rows = 24): Promise<string[]> {
  const vt = new VirtualTerminal(columns, rows);
  const ink = render(node, { stdout: vt.stdout as unknown as NodeJS.WriteStream, stdin: vt.stdin as unknown as NodeJS.ReadStream, patchConsole: false, exitOnCtrlC: false });
  try {
    await vt.quiet();
    return vt.lines();
  } finally {
    ink.unmount();
  }
}

interface Row {
  name: string;
  size: string;
  kinds: string;
}
const columns: Column<Row>[] = [
  { header: 'backup', cell: (r) => r.name },
  { header: 'size', width: 9, align: 'right', cell: (r) => r.size, drop: 2 },
  { header: 'manifests', width: 20, cell: (r) => r.kinds, drop: 1 },
];

describe('the table', () => {
  const rows: Row[] = [
    { name: 'short-20261101.tar.gz', size: '1 KiB', kinds: 'sha256' },
    { name: 'a-very-long-backup-name-with-many-parts-20261128.tar.gz', size: '2 MiB', kinds: 'json,blocks,sha256' },
  ];

  it('gives the name its room: the lowest-priority column goes first, and a name still too long is cut in the middle', async () => {
    const wide = await draw(<Table rows={rows} columns={columns} selected={0} height={5} width={80} />, 80);
    expect(wide[0]).toMatch(/^ {2}backup +size manifests/);
    const narrow = await draw(<Table rows={rows} columns={columns} selected={1} height={5} width={56} />, 56);
    expect(narrow[0]).not.toContain('manifests');
    expect(narrow[0]).toContain('size');
    expect(narrow[2]).toMatch(/^› a-very-lon\S*…\S*-20261128\.tar\.gz +2 MiB$/);
    expect(narrow.every((l) => l.length <= 56)).toBe(true);
  });
});

describe('the findings pane', () => {
  const long = { severity: 'error' as const, message: `sha256 mismatch: expected ${'a'.repeat(64)}, actual ${'b'.repeat(64)}` };

  it('wraps a finding to the width, never cuts it, and says how many lines are below', async () => {
    const lines = findingLines([long], 40);
    expect(lines.map((l) => l.text).join('').replace(/\s/g, '')).toBe(`✗${long.message}`.replace(/\s/g, ''));
    expect(lines.every((l) => l.text.length <= 40)).toBe(true);
    const shown = await draw(<FindingsPane lines={lines} height={3} offset={0} />, 40);
    expect(shown.slice(0, 2)).toEqual(lines.slice(0, 2).map((l) => l.text.trimEnd()));
    expect(shown[2]).toBe(`  … ${lines.length - 2} more lines (PgDn)`);
    const end = await draw(<FindingsPane lines={lines} height={3} offset={99} />, 40);
    expect(end.slice(0, 3)).toEqual(lines.slice(-3).map((l) => l.text.trimEnd()));
  });
});

describe('the help', () => {
  it('lists one line per key on a short terminal and counts the lines it could not show', async () => {
    const keys = helpLines(bindingsFor('list')).map((l) => l.keys);
    const lines = await draw(<HelpOverlay screen="list" width={60} height={12} />, 60, 14);
    const shown = lines.map((l) => /^│ (\S.*?) {2,}[^\s│]/.exec(l)?.[1]).filter((k) => k !== undefined);
    const hidden = Number(/… (\d+) more lines/.exec(lines.join('\n'))?.[1]);
    expect(shown.length + hidden).toBe(keys.length);
    expect(shown).toEqual(keys.slice(0, shown.length));
  });

  it('wraps the descriptions when there is room for every line', async () => {
    const lines = await draw(<HelpOverlay screen="blocks" width={50} height={40} />, 50, 42);
    expect(lines.join('\n')).not.toContain('…');
    expect(lines.join('\n')).toContain('Keys on this screen');
  });
});

describe('the hex view of a tar', () => {
  // a.txt: header 0-511, data 512-611, padding to 1023; b: a long-name header at 1024, its own at 1536, data 2048-2051
  const extents = [
    { path: 'a.txt', headerOffset: 0, dataOffset: 512, size: 100 },
    { path: 'b', headerOffset: 1024, dataOffset: 2048, size: 4 },
  ];

  it('marks each line with its member and the part of it, and names the members in view', () => {
    const { marks, legend } = memberMarks(extents, [496, 512, 608, 624, 1008, 1024, 1536, 2048, 2560], 80);
    expect(marks).toEqual(['A', 'a', 'a', '.', '.', 'B', 'B', 'b', ' ']);
    expect(legend).toEqual(['a a.txt: header at 0, data 512-611, padding to 1023', 'b b: header at 1024, data 2048-2051, padding to 2559']);
  });

  it('marks nothing when the file is not a plain tar', () => {
    expect(memberMarks([], [0, 16], 80)).toEqual({ marks: ['', ''], legend: [] });
  });
});

describe('a row of the list', () => {
  it('shows a running check, else the backup’s one state, never a pass nothing recorded', () => {
    expect(rowStatus({ file: 'f', kind: 'verify', state: 'running', steps: [], findings: [], progress: { done: 1, total: 4, bytesPerSec: 0 } }, undefined).word).toBe('hashing 25%');
    const failing = { status: 'hash_mismatch', failing: true, check: 'hash', at: '2026-01-01T00:00:00.000Z' };
    expect(rowStatus(undefined, failing).glyph).toBe(rowStatus(undefined, { ...failing, status: 'corrupt_blocks' }).glyph);
    expect(rowStatus(undefined, undefined).glyph).not.toBe(GLYPH.ok);
    expect(rowStatus(undefined, undefined).word).toBe('unverified');
  });
});

// The helper itself: a plain element draws on the virtual terminal.
it('draws a plain line', async () => {
  expect((await draw(<Text>hello</Text>, 20, 3))[0]).toBe('hello');
});
