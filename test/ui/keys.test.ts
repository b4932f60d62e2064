import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import type { Screen } from '../../src/ui/keys.js';
import { expectHelpOverlay } from '../helpers/help-overlay.js';
import { detailLoaded, re, sameAges, useDemoSet, type Inspector, withInspectorOn } from '../helpers/inspector.js';

const demo = useDemoSet();

const withInspector = (fn: (ui: Inspector) => Promise<void>, size?: { columns?: number; rows?: number }) => withInspectorOn([demo.set.dir], fn, size);

const indexOf = (role: DemoRole) => demo.set.backups.map((b) => basename(b.file)).sort().indexOf(demo.byRole(role).name);

/** Goes from the list to a screen, on the corrupted backup. */
async function goTo(ui: Inspector, screen: Screen): Promise<void> {
  if (screen === 'list') return;
  await ui.type('j'.repeat(indexOf('corrupted')));
  if (screen === 'steps') {
    await ui.type('d');
    await ui.waitFor(/^✓ remove the sandbox$/m);
    return;
  }
  if (screen === 'detail' || screen === 'hash') {
    await ui.type('{enter}');
    await ui.waitFor(detailLoaded);
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

/** What the help must say on each screen, whatever the table's wording of the rest. */
const MUST: Record<Screen, string[]> = {
  list: ['move up', 'move down', 'go to the first', 'go to the last', 'page up', 'page down', 'open the backup', 'verify every backup listed', 'filter by name', 'sort: name, age, size, status', 'help', 'quit'],
  detail: ['verify', 'block map', 'create a manifest', 'back', 'help', 'quit'],
  hash: ['back', 'help', 'quit'],
  blocks: ['move up', 'move down', 'move left', 'move right', 'next damaged region', 'previous damaged region', 'hex view of the block under the cursor', 'switch between the grid and the region list', 'back', 'help', 'quit'],
  hex: ['move up', 'move down', 'page up', 'page down', 'back', 'help', 'quit'],
  steps: ['back', 'help', 'quit'],
  heal: ['back', 'help', 'quit'],
};
const NOT: Record<Screen, string[]> = {
  list: ['hex view', 'previous damaged region', 'create a manifest', 'back'],
  detail: ['hex view', 'filter by name', 'move up'],
  hash: ['hex view', 'filter by name', 'verify', 'move up'],
  blocks: ['filter by name', 'create a manifest', 'open the backup'],
  hex: ['hex view', 'filter by name', 'next damaged region'],
  steps: ['hex view', 'filter by name', 'verify', 'move up'],
  heal: ['hex view', 'filter by name', 'verify', 'move up'],
};

describe('? shows the keys of the screen, from the key table', () => {
  // the heal screen needs storage locations: its help is checked in locations.test.ts
  for (const screen of ['list', 'detail', 'hash', 'blocks', 'hex', 'steps'] as const satisfies readonly Screen[]) {
    it(`on the ${screen} screen`, () =>
      withInspector(async (ui) => {
        await goTo(ui, screen);
        await expectHelpOverlay(ui, screen, { must: MUST[screen], not: NOT[screen], closeKey: screen === 'blocks' || screen === 'list' ? 'j' : 'z' });
      }));
  }

  it('any key closes it: esc does not also go back, q does not also quit', () =>
    withInspector(async (ui) => {
      await goTo(ui, 'detail');
      const before = sameAges(ui.vt.text());
      await ui.type('?');
      await ui.waitFor('Keys on this screen');
      await ui.type('{escape}');
      expect(sameAges(ui.vt.text())).toBe(before);
      await ui.type('?');
      await ui.waitFor('Keys on this screen');
      await ui.type('q');
      expect(sameAges(ui.vt.text())).toBe(before);
      expect(ui.hasExited).toBe(false);
    }));
});

describe('q and Ctrl-C', () => {
  for (const screen of ['list', 'blocks', 'hex'] as Screen[]) {
    it(`q quits from the ${screen} screen`, () =>
      withInspector(async (ui) => {
        await goTo(ui, screen);
        await ui.type('q');
        await ui.exited; // a key that did not quit fails on the test's deadline
      }));
  }

  it('Ctrl-C quits, also while a filter is typed', () =>
    withInspector(async (ui) => {
      await ui.type('/');
      await ui.type('{ctrlC}');
      await ui.exited; // a key that did not quit fails on the test's deadline
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
      await ui.quiet();
      expect(selectedName(ui)).toBe(names()[3]);
      ui.vt.stdin.push('kkj');
      await ui.quiet();
      expect(selectedName(ui)).toBe(names()[2]);
      ui.vt.stdin.push('Gk');
      await ui.quiet();
      expect(selectedName(ui)).toBe(names()[4]);
    }));

  it('ss moves the sort on twice', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('ss');
      await ui.quiet();
      expect(ui.lines()[21]).toMatch(/sort: size /);
    }));

  it('jv verifies the row j moved to', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('j'.repeat(indexOf('corrupted')) + 'v');
      await ui.quiet();
      await ui.idle();
      expect(ui.queue.get(demo.byRole('corrupted').file)?.result?.status).toBe('corrupt_blocks');
      expect(demo.set.backups.filter((b) => ui.queue.get(b.file))).toHaveLength(1);
    }));

  it('lll and nn in the block map; jjj in the hex view', () =>
    withInspector(async (ui) => {
      await goTo(ui, 'blocks');
      const head = () => ui.lines().find((l) => /^block \d+ bytes /.test(l));
      ui.vt.stdin.push('lll');
      await ui.quiet();
      expect(head()).toMatch(/^block 3 /);
      ui.vt.stdin.push('gnn');
      await ui.quiet();
      expect(head()).toMatch(/^block 19 /);
      ui.vt.stdin.push('x');
      await ui.waitFor(/^0001245184 /m);
      ui.vt.stdin.push('jjj');
      await ui.quiet();
      expect(ui.lines()[0]).toMatch(/line 4\/4096$/);
      expect(ui.lines()[2]).toMatch(/^0001245232 /);
    }));

  it('j then Enter in one read opens the backup j moved to', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('jj\r');
      await ui.waitFor(detailLoaded);
      expect(ui.lines()[0]).toBe(names()[2]);
    }));

  it('/, a name and Enter in one read (a paste) filter by the name, and the keys after it move in the list', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('/app\rj');
      await ui.quiet();
      expect(ui.lines()[21]).toMatch(/^filter: app  sort: name  5 of 6 shown/);
      expect(ui.lines().filter((l) => /\.sql\.gz/.test(l))).toHaveLength(0);
      expect(selectedName(ui)).toBe(names().filter((n) => n.includes('app'))[1]);
      // Backspace and escape while typing: escape clears the filter and closes the prompt.
      ui.vt.stdin.push('/zz\x7f\x7fdb');
      await ui.quiet();
      expect(ui.lines()[21]).toMatch(/^filter: db▏ /);
      ui.vt.stdin.push('\x1b');
      await ui.quiet();
      expect(ui.lines()[21]).toMatch(/^sort: name {2}6 of 6 shown/);
    }));

  it('/ and a name typed in one read filter by that name', () =>
    withInspector(async (ui) => {
      ui.vt.stdin.push('/db');
      await ui.quiet();
      expect(ui.lines()[0]).toMatch(/^restorable /); // still the list: "b" is text here, not the block map
      expect(ui.lines()[21]).toMatch(/^filter: db▏ /);
      expect(ui.lines().filter((l) => /\.(tar|sql)\.gz/.test(l))).toHaveLength(1);
    }));
});

describe('y copies to the terminal\'s clipboard (OSC 52)', () => {
  it('the path in the list and the detail, the byte range in the block map, the offset in the hex view', () =>
    withInspector(async (ui) => {
      const corrupted = demo.byRole('corrupted');
      await goTo(ui, 'detail');
      await ui.type('y');
      expect(ui.vt.clipboard.at(-1)).toBe(corrupted.file);
      await ui.type('{escape}y');
      expect(ui.vt.clipboard.at(-1)).toBe(corrupted.file);
      await ui.type('b');
      await ui.idle();
      await ui.type('ny');
      expect(ui.vt.clipboard.at(-1)).toBe(`${corrupted.file} bytes 327680-393215`);
      await ui.type('x');
      await ui.waitFor(/^0000327680 /m);
      await ui.type('jjy');
      expect(ui.vt.clipboard.at(-1)).toBe(`${corrupted.file} byte ${327680 + 32}`);
      expect(ui.vt.text()).toContain(`copied ${corrupted.file.slice(0, 20)}`);
    }));

  it('inside tmux the sequence is passed through to the outer terminal', async () => {
    const { osc52 } = await import('../../src/ui/input/clipboard.js');
    expect(osc52('/backups/a.tar.gz', {})).toBe(`\u001b]52;c;${Buffer.from('/backups/a.tar.gz').toString('base64')}\u0007`);
    expect(osc52('x', { TMUX: '/tmp/tmux-0/default,1,0' })).toBe('\u001bPtmux;\u001b\u001b]52;c;eA==\u0007\u001b\\');
  });
});

describe('e exports a report', () => {
  it('of every failing backup from the list, and of one backup from its detail: Markdown and JSON, never over a file', () =>
    withInspector(async (ui) => {
      await ui.type('V');
      await ui.idle();
      const out = mkdtempSync(join(tmpdir(), 'restorable-report-test-'));
      try {
        const base = join(out, 'incident');
        await ui.type('e');
        await ui.waitFor(/^export to \(enter: restorable-report-\d{8}-\d{6}\): ▏/m);
        await ui.type(`${base}{enter}`);
        await ui.waitFor(/wrote incident\.md and incident\.json in /);
        const md = readFileSync(`${base}.md`, 'utf8');
        const json = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
        // the damaged ones and the one that could not be checked; the healthy ones are not in it
        expect(json.backups.map((b: { file: string }) => basename(b.file)).sort()).toEqual(['corrupted', 'truncated', 'no-manifest'].map((r) => demo.byRole(r as DemoRole).name).sort());
        expect(md).toMatch(new RegExp(`^## ${re(demo.byRole('corrupted').file)}$`, 'm'));
        expect(md).toMatch(/^- state: corrupt blocks, found by the hash check at /m);
        expect(md).toMatch(/^- corrupt \(confirmed\) block 5 bytes 327680-393215 \(64 KiB\) in app\/logs\/access\.log$/m);
        const corrupt = json.backups.find((b: { file: string }) => b.file === demo.byRole('corrupted').file);
        expect(corrupt.state).toMatchObject({ status: 'corrupt_blocks', failing: true, check: 'hash' });
        expect(corrupt.result.regions).toHaveLength(2);
        // again to the same name: refused, and the first report is kept
        await ui.type(`e${base}{enter}`);
        await ui.waitFor(/no report written: incident\.md: already exists/);
        expect(readFileSync(`${base}.md`, 'utf8')).toBe(md);
        // one backup, from its detail
        await goTo(ui, 'detail');
        await ui.type(`e${join(out, 'one')}{enter}`);
        await ui.waitFor(/wrote one\.md and one\.json in /);
        expect(JSON.parse(readFileSync(join(out, 'one.json'), 'utf8')).backups.map((b: { file: string }) => b.file)).toEqual([demo.byRole('corrupted').file]);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }));
});
