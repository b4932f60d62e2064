import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import { detailLoaded, openInspector, re, useDemoSet, type Inspector } from '../helpers/inspector.js';

const demo = useDemoSet();
const rowOf = (ui: Inspector, role: DemoRole) => ui.lines().find((l) => l.includes(` ${demo.byRole(role).name} `))!;
const indexOf = (role: DemoRole) => demo.set.backups.map((b) => basename(b.file)).sort().indexOf(demo.byRole(role).name);

/** Cells drawn in a colour (foreground or background); attributes such as inverse and bold are not colour. */
const coloured = (ui: Inspector) =>
  ui.vt
    .cells()
    .flatMap((row, y) => row.map((c) => ({ ...c, y })))
    .filter((c) => c.fgMode !== 'default' || c.bgMode !== 'default');

describe('with colour (the control for the NO_COLOR tests below)', () => {
  it('draws statuses in colour', async () => {
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    const ui = await openInspector([demo.set.dir]);
    try {
      await ui.type('V');
      await ui.idle();
      const y = ui.lines().indexOf(rowOf(ui, 'corrupted'));
      expect(coloured(ui).some((c) => c.y === y && c.char === '✗')).toBe(true);
      expect(coloured(ui).length).toBeGreaterThan(20);
    } finally {
      await ui.close();
      if (saved !== undefined) process.env.NO_COLOR = saved;
    }
  });
});

describe('NO_COLOR=1', () => {
  let saved: string | undefined;
  let ui: Inspector;
  beforeAll(async () => {
    saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    ui = await openInspector([demo.set.dir]);
  });
  afterAll(async () => {
    await ui?.close();
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  });

  it('the list: no colour anywhere, every status with its glyph and word, the selection marked ›', async () => {
    await ui.type('V');
    await ui.idle();
    expect(coloured(ui)).toEqual([]);
    expect(rowOf(ui, 'corrupted')).toMatch(/^[› ] ✗ corrupt +app-/);
    expect(rowOf(ui, 'truncated')).toMatch(/^[› ] ✗ size mismatch app-/);
    expect(rowOf(ui, 'no-manifest')).toMatch(/^[› ] ! no manifest +app-/);
    expect(rowOf(ui, 'dump')).toMatch(/^[› ] ✓ verified +db-/);
    expect(ui.lines()[0]).toMatch(/ {2}✓ 3 ok {2}✗ 2 failed {2}! 1 unchecked {2}· 0 unverified$/);
    // the selected row: › in the first column, on exactly one row, which moves
    expect(ui.lines().filter((l) => l.startsWith('›'))).toHaveLength(1);
    await ui.type('jj');
    expect(ui.selected()!.line).toContain(demo.set.backups.map((b) => basename(b.file)).sort()[2]!);
    expect(ui.lines().filter((l) => l.startsWith('›'))).toHaveLength(1);
  });

  it('a running check and a queued one read as such too', async () => {
    const held = ui.pauseAt((e) => e.type === 'step' && e.state === 'running');
    const held2 = ui.pauseAt((e) => e.type === 'step' && e.state === 'running');
    await ui.type('V');
    await Promise.all([held.reached, held2.reached]);
    const busy = await ui.waitFor(/○ queued/);
    expect(busy).toMatch(/^[› ] … (hashing|blocks) \d+% /m);
    expect(coloured(ui)).toEqual([]);
    held.release();
    held2.release();
    await ui.idle();
  });

  it('the hash screen: ✗ on each mismatch, ✓ on the steps that passed', async () => {
    await ui.type(`g${'j'.repeat(indexOf('corrupted'))}{enter}`);
    await ui.waitFor(detailLoaded);
    expect(coloured(ui)).toEqual([]);
    await ui.type('v');
    await ui.idle();
    const text = await ui.waitFor(/^✗ corrupt \(.* in [\d.]+ s(, .*\/s)?\)$/m);
    expect(text).toMatch(/^✗ sha256 mismatch$/m);
    expect(text).toMatch(/^✓ size \d+ bytes$/m);
    expect(coloured(ui)).toEqual([]);
    await ui.type('{escape}');
  });

  it('the block map: damaged cells by their shape, the legend in words', async () => {
    await ui.type('b');
    await ui.idle();
    const text = await ui.waitFor(/^✗ corrupt: 2 damaged regions$/m);
    expect(text).toMatch(/^■{5}X■{13}XX■{18}$/m);
    expect(text).toMatch(/^■ ok {2}X corrupt {2}\? transient {2}_ missing {2}\+ extra/m);
    await ui.type('n');
    expect(ui.vt.text()).toMatch(/^block 5 bytes 327680-393215 \(64 KiB\) X corrupt$/m);
    expect(coloured(ui)).toEqual([]);
    // the cursor cell is still visible without colour
    const y = ui.lines().findIndex((l) => /^■{5}X/.test(l));
    expect(ui.vt.cells()[y]![5]!.inverse).toBe(true);
    await ui.type('?');
    await ui.waitFor('Keys on this screen');
    expect(coloured(ui)).toEqual([]);
    await ui.type('z');
    await ui.type('{escape}{escape}');
    await ui.waitFor(new RegExp(`^restorable `));
  });

  it('the question before writing manifests', async () => {
    await ui.type(`g${'j'.repeat(indexOf('no-manifest'))}{enter}`);
    await ui.waitFor(new RegExp(`^${re(demo.byRole('no-manifest').name)}$`, 'm'));
    await ui.type('m');
    await ui.waitFor('Write them? y/N');
    expect(ui.vt.text()).toMatch(/^! none found/m);
    expect(coloured(ui)).toEqual([]);
    await ui.type('n');
  });
});
