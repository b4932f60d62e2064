import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import { bindingsFor, type Screen } from '../../src/ui/keys.js';
import { re, useDemoSet, type Inspector, withInspectorOn } from '../helpers/inspector.js';

const demo = useDemoSet();

const withInspector = (fn: (ui: Inspector) => Promise<void>, size?: { columns?: number; rows?: number }) => withInspectorOn([demo.set.dir], fn, size);

const indexOf = (role: DemoRole) => demo.set.backups.map((b) => basename(b.file)).sort().indexOf(demo.byRole(role).name);

/** Goes from the list to a screen, on the corrupted backup. */
async function goTo(ui: Inspector, screen: Screen): Promise<void> {
  if (screen === 'list') return;
  await ui.type('j'.repeat(indexOf('corrupted')));
  if (screen === 'detail' || screen === 'hash') {
    await ui.type('{enter}');
    await ui.waitFor(/^Manifests$/m);
    if (screen === 'hash') {
      await ui.type('v');
      await ui.idle();
      await ui.waitFor(/^✗ corrupt \(.* in [\d.]+ s(, .*\/s)?\)$/m);
    }
    return;
  }
  await ui.type('b');
  await ui.idle();
  await ui.waitFor(/^✗ corrupt: 2 damaged regions$/m);
  if (screen === 'hex') {
    await ui.type('x');
    await ui.waitFor(/^0000000000 /m);
  }
}

/** The help overlay's text without its frame. */
const overlay = (ui: Inspector) =>
  ui
    .lines()
    .filter((l) => l.startsWith('│'))
    .map((l) => l.replace(/^│ ?/, '').replace(/ *│$/, '').trimEnd());

/** What the help must say on each screen, whatever the table's wording of the rest. */
const MUST: Record<Screen, string[]> = {
  list: ['move up', 'move down', 'go to the first', 'go to the last', 'page up', 'page down', 'open the backup', 'verify every backup listed', 'filter by name', 'sort by name, age, size or status', 'help', 'quit'],
  detail: ['verify', 'block map', 'create a manifest', 'back', 'help', 'quit'],
  hash: ['back', 'help', 'quit'],
  blocks: ['move up', 'move down', 'move left', 'move right', 'next damaged region', 'previous damaged region', 'hex view of the block under the cursor', 'switch between the grid and the region list', 'back', 'help', 'quit'],
  hex: ['move up', 'move down', 'page up', 'page down', 'back', 'help', 'quit'],
};
const NOT: Record<Screen, string[]> = {
  list: ['hex view', 'previous damaged region', 'create a manifest', 'back'],
  detail: ['hex view', 'filter by name', 'move up'],
  hash: ['hex view', 'filter by name', 'verify', 'move up'],
  blocks: ['filter by name', 'create a manifest', 'open the backup'],
  hex: ['hex view', 'filter by name', 'next damaged region'],
};

describe('? shows the keys of the screen, from the key table', () => {
  for (const screen of ['list', 'detail', 'hash', 'blocks', 'hex'] as Screen[]) {
    it(`on the ${screen} screen`, () =>
      withInspector(async (ui) => {
        await goTo(ui, screen);
        const before = ui.vt.text();
        await ui.type('?');
        await ui.waitFor('Keys on this screen');
        const lines = overlay(ui);
        // every binding of this screen, as the table has it: its keys, then what it does
        const bindings = bindingsFor(screen);
        for (const b of bindings) {
          const keys = b.keys.map((k) => (k === 'return' ? 'enter' : k === 'escape' ? 'esc' : k)).join(', ');
          expect(lines, `${keys}: ${b.help}`).toContainEqual(expect.stringMatching(new RegExp(`^${re(keys)} +${re(b.help)}$`)));
        }
        expect(lines.filter((l) => /^\S.* {2,}\S/.test(l) && !/^Keys on/.test(l) && !/^✓ intact/.test(l))).toHaveLength(bindings.length);
        for (const help of MUST[screen]) expect(lines.some((l) => l.includes(help)), `${screen} help lists “${help}”`).toBe(true);
        for (const help of NOT[screen]) expect(lines.some((l) => new RegExp(` {2}${re(help)}`).test(l)), `${screen} help has no “${help}”`).toBe(false);
        // it says what the glyphs mean, and fits the screen
        expect(ui.vt.text()).toMatch(/✓ intact {2}✗ damaged {2}! could not check {2}· not verified/);
        expect(ui.lines().every((l) => l.length <= 80)).toBe(true);
        // any key closes it and does nothing else
        await ui.type(screen === 'blocks' || screen === 'list' ? 'j' : 'z');
        await ui.waitFor((t) => !t.includes('Keys on this screen'));
        expect(ui.vt.text()).toBe(before);
      }));
  }

  it('any key closes it: esc does not also go back, q does not also quit', () =>
    withInspector(async (ui) => {
      await goTo(ui, 'detail');
      const before = ui.vt.text();
      await ui.type('?');
      await ui.waitFor('Keys on this screen');
      await ui.type('{escape}');
      expect(ui.vt.text()).toBe(before);
      await ui.type('?');
      await ui.waitFor('Keys on this screen');
      await ui.type('q');
      expect(ui.vt.text()).toBe(before);
      expect(ui.hasExited).toBe(false);
    }));
});

describe('q and Ctrl-C', () => {
  for (const screen of ['list', 'blocks', 'hex'] as Screen[]) {
    it(`q quits from the ${screen} screen`, () =>
      withInspector(async (ui) => {
        await goTo(ui, screen);
        await ui.type('q');
        await expect(Promise.race([ui.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 3000))])).resolves.toBe('exited');
      }));
  }

  it('Ctrl-C quits, also while a filter is typed', () =>
    withInspector(async (ui) => {
      await ui.type('/');
      await ui.type('{ctrlC}');
      await expect(Promise.race([ui.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 3000))])).resolves.toBe('exited');
    }));

  it('q while checks run quits and cancels them', () =>
    withInspector(async (ui) => {
      // two checks held as they start, on both cores; the others wait in the queue
      const a = ui.pauseAt((e) => e.type === 'step' && e.state === 'running');
      const b = ui.pauseAt((e) => e.type === 'step' && e.state === 'running');
      await ui.type('V');
      await Promise.all([a.reached, b.reached]);
      const waiting = demo.set.backups.filter((x) => ui.queue.get(x.file)?.state === 'queued');
      expect(waiting.length).toBeGreaterThanOrEqual(3);
      await ui.type('q');
      await ui.exited;
      a.release();
      b.release();
      await ui.idle();
      const states = demo.set.backups.map((x) => ui.queue.get(x.file)?.state);
      expect(states).not.toContain('running');
      expect(states).not.toContain('queued');
      // what waited never ran; what ran was stopped
      for (const x of waiting) {
        expect(ui.queue.get(x.file)?.state).toBe('cancelled');
        expect(ui.queue.get(x.file)?.result).toBeUndefined();
      }
      expect(states.filter((s) => s === 'cancelled').length).toBe(waiting.length + 2);
    }));
});

describe('keys that arrive together, in one read, each count', () => {
  const names = () => demo.set.backups.map((b) => basename(b.file)).sort();
  const selectedName = (ui: Inspector) => /\s((?:app|db)-\S+)\s/.exec(ui.selected()!.line)![1];

  it('jjj moves three rows; jjk two down one up', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('jjj');
      await ui.vt.settle(200);
      expect(selectedName(ui)).toBe(names()[3]);
      ui.vt.stdin.push('kkj');
      await ui.vt.settle(200);
      expect(selectedName(ui)).toBe(names()[2]);
      ui.vt.stdin.push('Gk');
      await ui.vt.settle(200);
      expect(selectedName(ui)).toBe(names()[4]);
    }));

  it('ss moves the sort on twice', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('ss');
      await ui.vt.settle(200);
      expect(ui.lines()[21]).toMatch(/sort: size /);
    }));

  it('jv verifies the row j moved to', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('j'.repeat(indexOf('corrupted')) + 'v');
      await ui.vt.settle(100);
      await ui.idle();
      expect(ui.queue.get(demo.byRole('corrupted').file)?.result?.status).toBe('corrupt_blocks');
      expect(demo.set.backups.filter((b) => ui.queue.get(b.file))).toHaveLength(1);
    }));

  it('lll and nn in the block map; jjj in the hex view', () =>
    withInspector(async (ui) => {
      await goTo(ui, 'blocks');
      const head = () => ui.lines().find((l) => /^block \d+ bytes /.test(l));
      ui.vt.stdin.push('lll');
      await ui.vt.settle(200);
      expect(head()).toMatch(/^block 3 /);
      ui.vt.stdin.push('gnn');
      await ui.vt.settle(200);
      expect(head()).toMatch(/^block 19 /);
      ui.vt.stdin.push('x');
      await ui.waitFor(/^0000130000 /m);
      ui.vt.stdin.push('jjj');
      await ui.vt.settle(300);
      expect(ui.lines()[0]).toMatch(/line 4\/4096$/);
      expect(ui.lines()[2]).toMatch(/^0000130030 /);
    }));

  it('/ and a name typed in one read filter by that name', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('/db');
      await ui.vt.settle(200);
      expect(ui.lines()[0]).toMatch(/^restorable /); // still the list: "b" is text here, not the block map
      expect(ui.lines()[21]).toMatch(/^filter: db▏ /);
      expect(ui.lines().filter((l) => /\.(tar|sql)\.gz/.test(l))).toHaveLength(1);
    }));
});
