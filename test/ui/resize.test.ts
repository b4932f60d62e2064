import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detailLoaded, openInspector, useDemoSet, type Inspector } from '../helpers/inspector.js';

const demo = useDemoSet();

/** The screen fits: no line ran past the width (the terminal would have wrapped it), the key bar one row above an empty last row. */
function expectLayout(ui: Inspector, columns: number, rows: number) {
  const buf = ui.vt.term.buffer.active;
  expect(ui.vt.term.cols).toBe(columns);
  const lines = ui.lines();
  expect(lines).toHaveLength(rows);
  for (let y = 0; y < rows; y++) {
    expect(buf.getLine(buf.viewportY + y)?.isWrapped, `row ${y} continues a wrapped line:\n${lines.join('\n')}`).toBe(false);
    expect(lines[y]!.length).toBeLessThanOrEqual(columns);
  }
  expect(lines[rows - 2]).toMatch(/\? help {2}q quit$/);
  expect(lines[rows - 1]).toBe('');
  // nothing left over from an earlier frame
  expect(lines.filter((l) => /\? help {2}q quit$/.test(l))).toHaveLength(1);
}

async function resize(ui: Inspector, columns: number, rows: number) {
  ui.vt.resize(columns, rows);
  await ui.waitFor((t) => {
    const lines = t.split('\n');
    return lines.length === rows && /\? help {2}q quit$/.test(lines[rows - 2]!.trimEnd());
  });
  await ui.quiet();
}

describe('resizing the terminal', () => {
  it('the list reflows to 100x30 and back to 80x24', async () => {
    const ui = await openInspector([demo.set.dir]);
    try {
      expectLayout(ui, 80, 24);
      const at80 = ui.vt.text();
      await resize(ui, 100, 30);
      expectLayout(ui, 100, 30);
      const lines = ui.lines();
      // the table takes the width: its header reaches past 80 columns
      expect(lines[1]).toMatch(/^ {2}status +backup +size +age +manifests +checked$/);
      expect(lines[1]!.length).toBeGreaterThan(80);
      expect(lines.filter((l) => /\.(tar|sql)\.gz/.test(l))).toHaveLength(6);
      expect(lines[28 - 1]).toMatch(/^sort: name {2}6 of 6 shown$/);
      await resize(ui, 80, 24);
      expectLayout(ui, 80, 24);
      expect(ui.vt.text()).toBe(at80);
    } finally {
      await ui.close();
    }
  });

  it('the block map and the hex view reflow, and a narrow grid wraps its cells onto rows', async () => {
    const ui = await openInspector([demo.set.dir]);
    try {
      const index = demo.set.backups.map((b) => basename(b.file)).sort().indexOf(demo.byRole('corrupted').name);
      await ui.type(`${'j'.repeat(index)}b`);
      await ui.idle();
      await ui.waitFor(/^✗ corrupt: 2 damaged regions$/m);
      await ui.type('n');
      expectLayout(ui, 80, 24);
      const at80 = ui.vt.text();
      await resize(ui, 100, 30);
      expectLayout(ui, 100, 30);
      expect(ui.vt.text()).toMatch(/^■{5}X■{13}XX■{18}$/m);
      expect(ui.vt.text()).toMatch(/^block 5 bytes 327680-393215 /m);
      // 40 columns: 38 cells to a row, so block 38 moves to a second row
      await resize(ui, 40, 24);
      expectLayout(ui, 40, 24);
      expect(ui.lines().filter((l) => /^[■X]+$/.test(l))).toEqual(['■■■■■X■■■■■■■■■■■■■XX■■■■■■■■■■■■■■■■■', '■']);
      await resize(ui, 80, 24);
      expectLayout(ui, 80, 24);
      expect(ui.vt.text()).toBe(at80);
      // the hex view: as many lines of bytes as the height allows
      await ui.type('x');
      await ui.waitFor(/^0000327680 /m);
      const hexLines = () => ui.lines().filter((l) => /^[0-9a-f]{10} {2}/.test(l)).length;
      const at24 = hexLines();
      await resize(ui, 100, 30);
      expectLayout(ui, 100, 30);
      await ui.waitFor(() => hexLines() === at24 + 6);
      await resize(ui, 80, 24);
      expectLayout(ui, 80, 24);
      await ui.waitFor(() => hexLines() === at24);
    } finally {
      await ui.close();
    }
  });

  it('the help overlay and the detail fit after a resize', async () => {
    const ui = await openInspector([demo.set.dir]);
    try {
      await resize(ui, 100, 30);
      await ui.type('{enter}');
      await ui.waitFor(detailLoaded);
      expectLayout(ui, 100, 30);
      await resize(ui, 80, 24);
      expectLayout(ui, 80, 24);
      await ui.type('?');
      await ui.waitFor('Keys on this screen');
      expectLayout(ui, 80, 24);
      await resize(ui, 100, 30);
      expectLayout(ui, 100, 30);
    } finally {
      await ui.close();
    }
  });
});
