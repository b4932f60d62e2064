import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import { helpLines } from '../../src/ui/components/help-overlay.js';
import { bindingsFor } from '../../src/ui/keys.js';
import { openInspector, re, useDemoSet, type Inspector } from '../helpers/inspector.js';

const demo = useDemoSet();
const COLUMNS = 60;
const ROWS = 20;

/** The screen's lines joined, so a wrapped finding reads as one sentence again. */
const joined = (ui: Inspector) => ui.lines().map((l) => l.trim()).join(' ');
const fits = (ui: Inspector) => expect(ui.lines().filter((l) => l.length > COLUMNS)).toEqual([]);

async function select(ui: Inspector, role: DemoRole): Promise<string> {
  const name = demo.byRole(role).name;
  const index = demo.set.backups.map((b) => basename(b.file)).sort().indexOf(name);
  await ui.type(`g${'j'.repeat(index)}`);
  return name;
}

// At 60x20 (a split pane, a small laptop terminal), what matters is wrapped or shortened, never cut off.
describe(`nothing important is cut at ${COLUMNS}x${ROWS}`, () => {
  it('the list header keeps every count; the detail, verify and deep check screens wrap their findings; the hex view takes 8 bytes a line', async () => {
    const ui = await openInspector([demo.set.dir], { columns: COLUMNS, rows: ROWS });
    try {
      await ui.waitFor(/size mismatch/);
      const counts = demo.set.backups.length;
      expect(ui.lines()[0]).toMatch(/✓ \d+ ok {2}✗ \d+ failed( {2}! \d+ unchecked)? {2}· \d+ unverified$/);
      const numbers = [...ui.lines()[0]!.matchAll(/(\d+) (?:ok|failed|unchecked|unverified)/g)].map((m) => Number(m[1]));
      expect(numbers.reduce((a, b) => a + b, 0)).toBe(counts);
      fits(ui);

      // verify the truncated backup: the region's byte range and the size finding, whole
      const name = await select(ui, 'truncated');
      const file = demo.byRole('truncated').file;
      const have = statSync(file).size;
      const want = JSON.parse(readFileSync(`${file}.blocks.json`, 'utf8')).file_size as number;
      await ui.type('{enter}');
      await ui.waitFor(new RegExp(`^${re(name)}$`, 'm'));
      await ui.type('v');
      await ui.waitFor(/^✗ size mismatch/m);
      expect(joined(ui)).toContain(`bytes ${have}-${want - 1}`);
      expect(joined(ui)).toContain(`size is ${have} bytes, expected ${want} (${want - have} bytes missing: truncated)`);
      fits(ui);
      // the same in the detail's findings pane
      await ui.type('{escape}');
      await ui.waitFor(/^Last check$/m);
      expect(joined(ui)).toContain(`size is ${have} bytes, expected ${want} (${want - have} bytes missing: truncated)`);
      fits(ui);

      // the deep check: where reading stopped, whole
      await ui.type('d');
      await ui.waitFor(/^✗ damaged/m);
      expect(joined(ui)).toMatch(/stopped at byte \d+ of the file \(byte \d+ uncompressed\)/);
      expect(joined(ui)).toMatch(/before it: \d+ members \(.*\); not read by tar: /);
      fits(ui);

      // the hex view: 8 bytes a line, the block's title whole but for the size in words
      await ui.type('{escape}{escape}b');
      await ui.waitFor(/^block map /m);
      await ui.type('x');
      await ui.waitFor(/^block 0 of /);
      expect(ui.lines()[0]).toMatch(new RegExp(`^block 0 of ${re(name)}: bytes 0-\\d+, line 1/\\d+$`));
      const hex = ui.lines().filter((l) => /^\d{10} {2}/.test(l));
      expect(hex.length).toBeGreaterThan(8);
      const bytes = readFileSync(file);
      for (const l of hex) {
        const m = /^(\d{10}) {2}((?:[0-9a-f]{2} ){3}[0-9a-f]{2}) {2}((?:[0-9a-f]{2} ){3}[0-9a-f]{2}) {2}/.exec(l)!;
        expect(m, l).not.toBeNull();
        const at = Number(m[1]);
        expect(Buffer.from(`${m[2]}${m[3]}`.replace(/ /g, ''), 'hex')).toEqual(bytes.subarray(at, at + 8));
      }
      fits(ui);
    } finally {
      await ui.close();
    }
  });

  it('the help keeps one line per key, and says how many lines did not fit', async () => {
    const ui = await openInspector([demo.set.dir], { columns: COLUMNS, rows: ROWS });
    try {
      await ui.waitFor(/^ {2}status/m);
      await ui.type('?');
      const text = await ui.waitFor(/move up/);
      const expected = helpLines(bindingsFor('list')).map((l) => l.keys);
      const hidden = Number(/… (\d+) more lines: a taller terminal shows them/.exec(text)?.[1] ?? 0);
      // one line per key, in the table's order; the last ones (help, quit: also in the key bar) may be counted instead
      const shown = ui.lines().map((l) => /^│ (\S.*?) {2,}[^\s│]/.exec(l)?.[1]).filter((k) => k !== undefined);
      expect(shown, ui.vt.text()).toEqual(expected.slice(0, expected.length - hidden));
      expect(hidden).toBeLessThanOrEqual(2);
      fits(ui);
    } finally {
      await ui.close();
    }
  });
});
