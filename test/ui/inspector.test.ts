import { describe, expect, it } from 'vitest';
import { openInspector, re, useDemoSet } from '../helpers/inspector.js';

const demo = useDemoSet();

describe('the inspector at 80x24', () => {
  it('lists every backup with its manifests and finds the corrupted one after V', async () => {
    const ui = await openInspector([demo.set.dir]);
    try {
      const lines = ui.lines();
      // marked on open, before any key: the truncated backup by its size, the one without a manifest as such
      expect(lines[0]).toMatch(/^restorable .*demo {2}✓ 0 ok {2}✗ 1 failed {2}! 1 unchecked {2}· 4 unverified$/);
      expect(lines.find((l) => l.includes(demo.byRole('truncated').name))).toMatch(/^[› ] ✗ size mismatch /);
      expect(lines.find((l) => l.includes(demo.byRole('no-manifest').name))).toMatch(/^[› ] ! no manifest /);
      expect(lines.filter((l) => /\.(tar|sql)\.gz/.test(l))).toHaveLength(6);
      expect(lines[23]).toBe(''); // one row short of the terminal
      expect(lines[22]).toMatch(/^↵ open .*\? help {2}q quit$/);
      await ui.type('V');
      const done = await ui.waitFor(/✓ 3 ok {2}✗ 2 failed/);
      expect(done).toMatch(new RegExp(`✗ corrupt +${re(demo.byRole('corrupted').name)}`));
    } finally {
      await ui.close();
    }
  });
});
