import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import { bytes, tempDir } from '../helpers/fixtures.js';
import { openInspector, re, useDemoSet, type Inspector } from '../helpers/inspector.js';
import { runCli } from '../helpers/run-cli.js';
import { runTool } from '../helpers/tools.js';

const demo = useDemoSet();
const BLOCK = 64 * 1024;

interface Truth {
  name: string;
  bytes: Buffer;
  map: { file_size: number; block_size: number; total_blocks: number; blocks: { block: number; offset: number; size: number; hash: string }[] };
  /** blocks whose bytes on disk do not hash to the block map's digest */
  bad: number[];
  actual: (index: number) => string;
}

/** What is true of a backup, from its bytes and its block map, independently of the engine. */
function truth(role: DemoRole): Truth {
  const { name, file } = demo.byRole(role);
  const bytes = readFileSync(file);
  const map = JSON.parse(readFileSync(`${file}.blocks.json`, 'utf8'));
  const actual = (i: number) => createHash('sha256').update(bytes.subarray(i * map.block_size, (i + 1) * map.block_size)).digest('hex');
  const bad = map.blocks.filter((b: { block: number; hash: string }) => actual(b.block) !== b.hash).map((b: { block: number }) => b.block);
  return { name, bytes, map, bad, actual };
}

async function openBlocks(ui: Inspector, role: DemoRole): Promise<string> {
  const name = demo.byRole(role).name;
  const index = demo.set.backups.map((b) => basename(b.file)).sort().indexOf(name);
  await ui.type(`${'j'.repeat(index)}b`);
  await ui.waitFor(new RegExp(`^block map ${re(name)}`));
  await ui.idle();
  await ui.waitFor(/^ {2}Regions|^› Regions/m);
  return name;
}

const GRID = /^[■X?_+!·]+$/;
const gridLines = (ui: Inspector) => ui.lines().filter((l) => GRID.test(l));
/** Columns of the grid row holding the cursor (drawn inverted when the grid has focus, underlined when not). */
function cursorCells(ui: Inspector, attr: 'inverse' | 'underline'): { row: number; col: number }[] {
  const lines = ui.lines();
  const out: { row: number; col: number }[] = [];
  ui.vt.cells().forEach((cells, y) => {
    if (!GRID.test(lines[y]!)) return;
    cells.forEach((c, x) => c[attr] && out.push({ row: y, col: x }));
  });
  return out;
}
const panel = (ui: Inspector) => {
  const lines = ui.lines();
  const at = lines.findIndex((l) => /^block \d+ bytes /.test(l));
  return lines.slice(at, at + 3);
};

/** Parses a hex view line: absolute offset, the tar member's mark (when shown), the 16 bytes, the ascii column. */
function parseHex(line: string): { offset: number; mark?: string; bytes: number[]; ascii: string } | undefined {
  const m = /^(\d{10})(?: (.))? {2}((?:[0-9a-f]{2} ){7}[0-9a-f]{2}) {2}((?:[0-9a-f]{2} ){7}[0-9a-f]{2}) {2}(.{16})$/.exec(line);
  if (!m) return undefined;
  return { offset: Number(m[1]!), mark: m[2], bytes: `${m[3]} ${m[4]}`.split(' ').map((h) => parseInt(h, 16)), ascii: m[5]! };
}
const printable = (bytes: Iterable<number>) => [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');

/** Every hex line on screen must show exactly the file's bytes at its offset. */
function expectHexMatchesFile(ui: Inspector, bytes: Buffer): number[] {
  const rows = ui.lines().map(parseHex).filter((r) => r !== undefined);
  expect(rows.length).toBeGreaterThan(10);
  for (const r of rows) {
    const want = [...bytes.subarray(r.offset, r.offset + 16)];
    expect(r.bytes, `bytes at 0x${r.offset.toString(16)}`).toEqual(want);
    expect(r.ascii).toBe(printable(want));
  }
  // consecutive lines, 16 bytes apart
  rows.forEach((r, i) => i > 0 && expect(r.offset - rows[i - 1]!.offset).toBe(16));
  return rows.map((r) => r.offset);
}

describe('the block map (b) of the corrupted backup', () => {
  let t: Truth;
  let ui: Inspector;
  beforeAll(() => {
    t = truth('corrupted');
    // the damage planted: inside block 5, and across the boundary of blocks 19 and 20
    expect(t.bad).toEqual([5, 19, 20]);
    expect(t.map.block_size).toBe(BLOCK);
    expect(t.map.total_blocks).toBe(39);
  });

  it('fills in the grid live: unread cells first, then the state of every block', async () => {
    ui = await openInspector([demo.set.dir]);
    try {
      const name = demo.byRole('corrupted').name;
      const index = demo.set.backups.map((b) => basename(b.file)).sort().indexOf(name);
      // hold the check as soon as it knows the block map: nothing read yet
      const mapped = ui.pauseAt((e) => e.type === 'blockmap');
      await ui.type(`${'j'.repeat(index)}b`);
      await mapped.reached;
      const early = await ui.waitFor(/^·{39}$/m);
      expect(early).toContain('(when the check ends)');
      expect(early).toMatch(new RegExp(`^block map ${re(name)} {2}39 blocks of 64 KiB$`, 'm'));
      mapped.release();
      await ui.idle();
      expect(gridLines(ui)).toHaveLength(1);
      expect(gridLines(ui)[0]).not.toContain('·');
    } finally {
      await ui.close();
    }
  });

  describe('once checked', () => {
    beforeAll(async () => {
      ui = await openInspector([demo.set.dir]);
      await openBlocks(ui, 'corrupted');
    });
    afterAll(() => ui.close());

    it('shows a cell per block, X where the bytes differ from the block map, at the right positions', () => {
      const expected = Array.from({ length: 39 }, (_, i) => (t.bad.includes(i) ? 'X' : '■')).join('');
      expect(gridLines(ui)).toEqual([expected]);
      const text = ui.vt.text();
      expect(text).toMatch(new RegExp(`^block map ${re(t.name)} {2}39 blocks of 64 KiB$`, 'm'));
      expect(text).toMatch(/^✗ corrupt: 2 damaged regions$/m);
      // the legend names each cell's shape in words
      expect(text).toMatch(/^■ ok {2}X corrupt {2}\? transient {2}_ missing {2}\+ extra {2}! unreadable {2}· unread/m);
    });

    it('lists both regions with their exact byte offsets', () => {
      const lines = ui.lines();
      const at = lines.findIndex((l) => /^[ ›] Regions/.test(l));
      expect(lines[at + 1]).toMatch(/^ {2}corrupt \(confirmed\) blocks? 5(-5)? bytes 327680-393215 \(64 KiB\)$/);
      expect(lines[at + 2]).toMatch(/^ {2}corrupt \(confirmed\) blocks 19-20 bytes 1245184-1376255 \(128 KiB\)$/);
      // which is where the planted bytes are
      const [first, second] = demo.byRole('corrupted').flipped!;
      expect(first!.offset).toBeGreaterThanOrEqual(327680);
      expect(first!.offset + first!.length - 1).toBeLessThanOrEqual(393215);
      expect(second!.offset).toBeGreaterThanOrEqual(1245184);
      expect(second!.offset + second!.length - 1).toBeLessThanOrEqual(1376255);
    });

    it('n and N move the cursor between regions; the panel shows the block’s offsets and digests', async () => {
      await ui.type('g');
      expect(panel(ui)[0]).toBe('block 0 bytes 0-65535 (64 KiB) ■ ok');
      expect(cursorCells(ui, 'inverse').map((c) => c.col)).toEqual([0]);

      const expectBlock = (i: number) => {
        const [head, expected, actual] = panel(ui);
        expect(head).toBe(`block ${i} bytes ${i * BLOCK}-${(i + 1) * BLOCK - 1} (64 KiB) X corrupt`);
        expect(expected).toBe(`expected ${t.map.blocks[i]!.hash}`);
        expect(actual).toBe(`actual   ${t.actual(i)}`);
        expect(cursorCells(ui, 'inverse').map((c) => c.col)).toEqual([i]);
      };
      await ui.type('n');
      expectBlock(5);
      expect(panel(ui)[0]).toBe('block 5 bytes 327680-393215 (64 KiB) X corrupt');
      await ui.type('n');
      expectBlock(19);
      await ui.type('n'); // wraps to the first region
      expectBlock(5);
      await ui.type('N'); // back, wrapping to the last region
      expectBlock(19);
      await ui.type('N');
      expectBlock(5);
      // block 20 is reached by moving right from 19
      await ui.type('n');
      await ui.type('l');
      expectBlock(20);
      await ui.type('{left}{left}');
      expect(panel(ui)[0]).toBe(`block 18 bytes ${18 * BLOCK}-${19 * BLOCK - 1} (64 KiB) ■ ok`);
      expect(panel(ui)[1]).toBe('expected matches the block map');
      await ui.type('G');
      expect(panel(ui)[0]).toBe(`block 38 bytes ${38 * BLOCK}-${t.map.file_size - 1} (${((t.map.file_size - 38 * BLOCK) / 1024).toFixed(1)} KiB) ■ ok`);
    });

    it('x opens the hex view of the block: its offset in decimal and the file’s own bytes', async () => {
      await ui.type('g');
      await ui.type('n');
      expect(panel(ui)[0]).toMatch(/^block 5 /);
      await ui.type('x');
      await ui.waitFor(/^0000327680 /m);
      const lines = ui.lines();
      expect(lines[0]).toMatch(new RegExp(`^block 5 of ${re(t.name)}: bytes 327680-393215 \\(64 KiB\\), line 1/4096$`));
      expect(lines[1]).toMatch(/^ {4}offset {2}00 01 02 .* 0f {2}text$/);
      expect(parseHex(lines[2]!)!.offset).toBe(0x50000);
      const offsets = expectHexMatchesFile(ui, t.bytes);
      expect(offsets[0]).toBe(5 * BLOCK);
      // scroll to the flipped bytes (1000 bytes into the block) and see them as they are on disk
      const flipped = demo.byRole('corrupted').flipped![0]!;
      for (let i = 0; i < 4 && !ui.vt.text().includes(`${String(flipped.offset & ~15).padStart(10, '0')} `); i++) await ui.type('{pageDown}');
      const shown = expectHexMatchesFile(ui, t.bytes);
      expect(shown).toContain(flipped.offset & ~15);
      expect(ui.lines()[0]).toMatch(/line \d+\/4096$/);
      expect(Number(/line (\d+)\//.exec(ui.lines()[0]!)![1])).toBe(shown[0]! / 16 - 5 * 4096 + 1);
      await ui.type('{escape}');
      await ui.waitFor(/^block map /);
    });

    it('x on the second region shows the bytes that cross into block 20, to the end of block 19', async () => {
      await ui.type('g');
      await ui.type('nn');
      expect(panel(ui)[0]).toMatch(/^block 19 /);
      await ui.type('x');
      await ui.waitFor(/^0001245184 /m);
      await ui.type('G'); // the end of the block: the first half of the second flip
      await ui.waitFor(/^0001310704 /m);
      const offsets = expectHexMatchesFile(ui, t.bytes);
      expect(offsets[offsets.length - 1]).toBe(20 * BLOCK - 16);
      expect(Number(/line (\d+)\/4096$/.exec(ui.lines()[0]!)![1])).toBe((offsets[0]! - 19 * BLOCK) / 16 + 1);
      await ui.type('{escape}');
      await ui.waitFor(/^block map /);
    });

    it('esc from the hex view goes back to the block map, the cursor still on that block', async () => {
      await ui.type('g');
      await ui.type('nn');
      expect(panel(ui)[0]).toMatch(/^block 19 /);
      await ui.type('x');
      await ui.waitFor(/^0001245184 /m);
      await ui.type('{escape}');
      await ui.waitFor(/^block map /);
      expect(gridLines(ui)).toHaveLength(1);
      expect(panel(ui)[0]).toMatch(/^block 19 /);
    });

    it('tab moves the focus to the region list, where j/k choose a region; tab again back to the grid', async () => {
      await ui.type('g');
      const grid = ui.lines().findIndex((l) => GRID.test(l));
      expect(ui.lines().some((l) => l.startsWith('› Regions'))).toBe(false);
      expect(cursorCells(ui, 'inverse')).toEqual([{ row: grid, col: 0 }]);
      await ui.type('{tab}');
      const lines = ui.lines();
      expect(lines.some((l) => l.startsWith('› Regions'))).toBe(true);
      // the grid's cursor is now only underlined
      expect(cursorCells(ui, 'inverse')).toEqual([]);
      expect(cursorCells(ui, 'underline')).toHaveLength(1);
      await ui.type('j');
      expect(panel(ui)[0]).toMatch(/^block 19 /);
      const inverted = (text: RegExp) => {
        const y = ui.lines().findIndex((l) => text.test(l));
        return ui.vt.cells()[y]!.some((c) => c.inverse);
      };
      expect(inverted(/blocks 19-20 bytes/)).toBe(true);
      expect(inverted(/bytes 327680-/)).toBe(false);
      await ui.type('k');
      expect(panel(ui)[0]).toMatch(/^block 5 /);
      expect(inverted(/bytes 327680-/)).toBe(true);
      await ui.type('{tab}');
      expect(ui.lines().some((l) => l.startsWith('› Regions'))).toBe(false);
      expect(cursorCells(ui, 'inverse').map((c) => c.col)).toEqual([5]);
      // in the grid, j/k move by rows again (one row here: j goes to the last cell)
      await ui.type('j');
      expect(panel(ui)[0]).toMatch(/^block 38 /);
    });

    it('esc goes back to the list', async () => {
      await ui.type('{escape}');
      await ui.waitFor(/^restorable /);
    });
  });
});

describe('the block map of the truncated backup', () => {
  it('shows the missing blocks from where the file ends, with the exact byte', async () => {
    const t = truth('truncated');
    const planted = demo.byRole('truncated');
    const ui = await openInspector([demo.set.dir]);
    try {
      await openBlocks(ui, 'truncated');
      const firstMissing = Math.floor(planted.truncatedTo! / BLOCK);
      expect(firstMissing).toBe(23);
      expect(gridLines(ui)).toEqual(['■'.repeat(23) + '_'.repeat(16)]);
      const text = ui.vt.text();
      expect(text).toMatch(/^✗ size mismatch: 1 damaged region$/m);
      expect(text).toMatch(new RegExp(`^ {2}missing blocks 23-38 bytes ${planted.truncatedTo}-${planted.truncatedFrom! - 1} \\(998 KiB\\)$`, 'm'));
      await ui.type('n');
      expect(panel(ui)[0]).toBe(`block 23 bytes ${23 * BLOCK}-${24 * BLOCK - 1} (64 KiB) _ missing`);
      expect(panel(ui)[1]).toBe(`expected ${t.map.blocks[23]!.hash}`);
    } finally {
      await ui.close();
    }
  });

  it('the hex view of a block past the end of the file says there is nothing there', async () => {
    const ui = await openInspector([demo.set.dir]);
    try {
      await openBlocks(ui, 'truncated');
      await ui.type('G'); // block 38: wholly past the end
      await ui.type('x');
      await ui.waitFor(/^block 38 of /);
      await ui.quiet();
      const text = ui.vt.text();
      expect(text.split('\n').map(parseHex).filter(Boolean)).toHaveLength(0);
      // an empty page needs a word: the file ends before this block
      expect(text).toMatch(/ends|past the end|beyond the end|no data/i);
    } finally {
      await ui.close();
    }
  });
});

describe('the block map of a backup without one', () => {
  it('says there is no block map and how to write one', async () => {
    const ui = await openInspector([demo.set.dir]);
    try {
      const name = demo.byRole('no-manifest').name;
      const index = demo.set.backups.map((b) => basename(b.file)).sort().indexOf(name);
      await ui.type(`${'j'.repeat(index)}b`);
      await ui.idle();
      const text = await ui.waitFor(/no block map for this backup/);
      expect(text).toMatch(new RegExp(`^block map ${re(name)}$`, 'm'));
      expect(text).toMatch(/^! no block map for this backup: open it \(enter\) and press m to write one$/m);
      expect(gridLines(ui)).toEqual([]);
    } finally {
      await ui.close();
    }
  });
});

describe('finding damage inside a block', () => {
  it(': goes to a block or a byte in the block map and in the hex view; / searches bytes or text; n finds the next run of zeros', async () => {
    const dir = tempDir();
    const file = join(dir, 'disk-20261101.img');
    const data = Buffer.from(bytes('disk', 4 * BLOCK));
    data.fill(0x41, 0, 16); // no zero run before the one planted below
    const zerosAt = 2 * BLOCK + 40_000;
    data.fill(0, zerosAt, zerosAt + 4096); // 4 KiB of zeros, not on a sector boundary
    const sectorAt = 2 * BLOCK + 8192;
    data.fill(0, sectorAt, sectorAt + 8192); // a lost write: two 4 KiB sectors of zeros
    const textAt = 2 * BLOCK + 51_234;
    data.write('NEEDLE-in-the-hay', textAt, 'latin1');
    writeFileSync(file, data);
    expect((await runCli(['manifest', '--block-size', '64KiB', file])).code).toBe(0);
    const ui = await openInspector([dir]);
    try {
      await ui.type('b');
      await ui.waitFor(/^✓ verified/m);
      // a block number, then a byte offset in decimal and in hex
      await ui.type(':2{enter}');
      expect(panel(ui)[0]).toMatch(/^block 2 bytes 131072-196607 /);
      await ui.type(`:@${3 * BLOCK + 5}{enter}`);
      expect(panel(ui)[0]).toMatch(/^block 3 /);
      await ui.type(':0x10000{enter}');
      expect(panel(ui)[0]).toMatch(/^block 1 /);
      await ui.type(':99{enter}');
      await ui.waitFor(/! no such block or byte in this file: 99/);
      await ui.type(':2{enter}x');
      await ui.waitFor(/^0000131072 /m);
      // n with no search: the next run of zero bytes, its whole length and alignment, the line
      // on top; n again goes past the whole run to the next one
      await ui.type('n');
      await ui.waitFor(new RegExp(`8192 bytes of zeros at byte ${sectorAt} \\(4 KiB aligned\\)$`, 'm'));
      expect(parseHex(ui.lines()[2]!)!.offset).toBe(sectorAt);
      await ui.type('n');
      await ui.waitFor(new RegExp(`4096 bytes of zeros at byte ${zerosAt}$`, 'm'));
      expect(parseHex(ui.lines()[2]!)!.offset).toBe(zerosAt & ~15);
      // / text, then hex bytes of the same place
      await ui.type('/NEEDLE{enter}');
      await ui.waitFor(new RegExp(`“NEEDLE” at byte ${textAt}`));
      expect(ui.lines()[2]).toContain('NEEDLE-in-the');
      await ui.type(':0{enter}');
      await ui.waitFor(/byte 0 is outside this block \(bytes 131072-196607\)/);
      await ui.type(`:${2 * BLOCK}{enter}/4e 45 45 44{enter}`);
      await ui.waitFor(new RegExp(`“NEED” at byte ${textAt}`));
      // n again: no other match in this block
      await ui.type('n');
      await ui.waitFor(/no “NEED” after byte \d+ in this block/);
    } finally {
      await ui.close();
    }
  });
});

describe('the hex view of an uncompressed tar', () => {
  it('marks each line with the member it is in (header, data, padding) and names the members in view', async () => {
    const dir = tempDir();
    const src = join(dir, 'src');
    const long = `${'deep-folder-name-'.repeat(7)}notes.txt`; // over 100 characters: GNU tar writes a long-name header first
    runTool('mkdir', ['-p', src]);
    writeFileSync(join(src, 'a.txt'), 'alpha '.repeat(17)); // 102 bytes: data, then padding to 512
    writeFileSync(join(src, long), 'beta');
    writeFileSync(join(src, 'c.bin'), bytes('c', 3000));
    const file = join(dir, 'site-20261101.tar');
    expect(runTool('tar', ['--format=gnu', '-cf', file, '-C', src, 'a.txt', long, 'c.bin']).status).toBe(0);
    // Where each member lies, by Python's tarfile: not by the code under test.
    const py = runTool('python3', ['-c', 'import sys,tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.offset, m.offset_data, m.size, m.name)', file]);
    const members = py.stdout.trim().split('\n').map((l) => {
      const [offset, data, size, ...name] = l.split(' ');
      return { offset: Number(offset), data: Number(data), size: Number(size), name: name.join(' ') };
    });
    expect(members.map((m) => m.name)).toEqual(['a.txt', long, 'c.bin']);
    expect(members[1]!.data - members[1]!.offset).toBeGreaterThan(512); // the long-name header is part of its header
    expect((await runCli(['manifest', '--block-size', '4KiB', file])).code).toBe(0);
    const ui = await openInspector([dir]);
    try {
      await ui.type('b');
      await ui.waitFor(/^✓ verified/m);
      await ui.type('x');
      await ui.waitFor(/^block 0 of /);
      const markAt = (offset: number): string => {
        const m = members.find((x) => offset < x.data + Math.ceil(x.size / 512) * 512);
        if (!m) return ' ';
        const letter = 'abc'[members.indexOf(m)]!; // the legend gives letters in order of appearance: here, file order
        return offset < m.data ? letter.toUpperCase() : offset < m.data + m.size ? letter : '.';
      };
      // From the start, then from a.txt's data to its padding and the next member's long-name header.
      for (const top of [0, members[0]!.data, members[1]!.offset - 64]) {
        await ui.type(`:${top}{enter}`);
        await ui.waitFor(new RegExp(`^${String(top - (top % 16)).padStart(10, '0')} `, 'm'));
        const rows = ui.lines().map(parseHex).filter((r) => r !== undefined);
        expect(rows.length).toBeGreaterThan(8);
        const file_ = readFileSync(file);
        for (const r of rows) {
          expect(r.mark, `line at ${r.offset}`).toBe(markAt(r.offset));
          expect(r.bytes).toEqual([...file_.subarray(r.offset, r.offset + 16)]);
        }
      }
      // The legend names each member in view with its byte ranges.
      const a = members[0]!;
      expect(ui.lines()).toContain(`a a.txt: header at ${a.offset}, data ${a.data}-${a.data + a.size - 1}, padding to ${a.data + 511}`);
      const b = members[1]!;
      const where = `header at ${b.offset}, data ${b.data}-${b.data + b.size - 1}, padding to ${b.data + 511}`;
      // A path too long for 80 columns is cut in the middle; the byte ranges are whole.
      expect(ui.lines().find((l) => l.startsWith('b '))).toMatch(new RegExp(`^b deep-folder\\S*…\\S*notes\\.txt: ${re(where)}$`));
    } finally {
      await ui.close();
    }
  });
});
