import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import { re, useDemoSet, type Inspector, withInspectorOn } from '../helpers/inspector.js';

const demo = useDemoSet();

const withInspector = (fn: (ui: Inspector) => Promise<void>, size?: { columns?: number; rows?: number }) => withInspectorOn([demo.set.dir], fn, size);

/** Moves the list's selection to the backup of this role. */
async function select(ui: Inspector, role: DemoRole): Promise<string> {
  const name = demo.byRole(role).name;
  const index = demo.set.backups.map((b) => basename(b.file)).sort().indexOf(name);
  await ui.type(`g${'j'.repeat(index)}`);
  return name;
}

/** The temp folders of one kind of check (other test files run deep checks of their own meanwhile). */
const sandboxes = (kind: 'deep' | 'restore') => readdirSync(tmpdir()).filter((n) => n.startsWith(`restorable-${kind}-`));

describe('deep check and test restore screens', () => {
  it('d on the corrupted backup: the steps, then a salvage report naming the first damaged member', () =>
    withInspector(async (ui) => {
      const before = sandboxes('deep');
      const name = await select(ui, 'corrupted');
      await ui.type('d');
      const text = await ui.waitFor(/^✗ damaged tar\+gzip/m);
      expect(text).toMatch(new RegExp(`^deep check ${re(name)}$`, 'm'));
      expect(text).toMatch(/^✓ open \(tar\+gzip\)/m);
      expect(text).toMatch(/^✗ read every member and extract it into a sandbox 3 members/m);
      expect(text).toMatch(/^✓ remove the sandbox$/m);
      expect(text).toMatch(/^first damaged member: app\/logs\/access\.log$/m);
      expect(text).toMatch(/^before it: 3 members \(671 KiB\)/m);
      // past the damage, what salvage (the same machinery as `restorable salvage`) makes of the rest
      expect(text).toMatch(/^✓ read past the damage, as restorable salvage does/m);
      expect(text).toMatch(/^reading on past it, salvage gets back \d+ of 9 files \(\d+ verified against/m);
      expect(sandboxes('deep').filter((n) => !before.includes(n))).toEqual([]);
      await ui.type('{escape}');
      await ui.waitFor(new RegExp(`✗ damaged +${re(name)}`));
    }));

  it('r on a healthy backup: a timed restore that passes, and the temp folder is gone', () =>
    withInspector(async (ui) => {
      const before = sandboxes('restore');
      await select(ui, 'healthy');
      await ui.type('r');
      const text = await ui.waitFor(/✓ verified restored 9 files \(4\.76 MiB\) in [\d.]+ s/);
      expect(text).toMatch(/^✓ compare the restored files with the archive listing 9 files$/m);
      expect(text).toMatch(/^✓ remove the restored files$/m);
      expect(sandboxes('restore').filter((n) => !before.includes(n))).toEqual([]);
    }));

  it('the key bar and help offer d and r', () =>
    withInspector(async (ui) => {
      await ui.type('?');
      const help = await ui.waitFor(/Keys on this screen/);
      expect(help).toMatch(/^│ d +deep check: extract every member into a sandbox/m);
      expect(help).toMatch(/^│ r +test restore into a temp folder, timed/m);
    }));
});
