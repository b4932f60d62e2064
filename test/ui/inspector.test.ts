import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoSet, type DemoSet } from '../../src/core/demo/demo-set.js';
import { WorkerPool } from '../../src/core/hash/pool.js';
import { openInspector } from '../helpers/inspector.js';

let set: DemoSet;
beforeAll(async () => {
  const pool = new WorkerPool(2);
  set = await writeDemoSet(join(mkdtempSync(join(tmpdir(), 'restorable-ui-')), 'demo'), pool);
  await pool.close();
});
afterAll(() => rmSync(join(set.dir, '..'), { recursive: true, force: true }));

describe('the inspector at 80x24', () => {
  it('lists every backup with its manifests and finds the corrupted one after V', async () => {
    const ui = await openInspector([set.dir]);
    try {
      const lines = ui.vt.lines();
      expect(lines[0]).toMatch(/^restorable .*demo {2}✓ 0 ok {2}✗ 0 failed {2}· 6 unverified/);
      expect(lines.filter((l) => /\.(tar|sql)\.gz/.test(l))).toHaveLength(6);
      expect(lines[23]).toBe(''); // one row short of the terminal
      expect(lines[22]).toMatch(/enter open .*\? help .*q quit/);
      ui.vt.press('V');
      const done = await ui.waitFor(/✓ 3 ok {2}✗ 2 failed/);
      const corrupted = set.backups.find((b) => b.role === 'corrupted')!.file.split('/').pop()!;
      expect(done).toMatch(new RegExp(`✗ corrupt +${corrupted.replace(/\./g, '\\.')}`));
    } finally {
      await ui.close();
    }
  });
});
