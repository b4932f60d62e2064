import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import { formatBytes } from '../../src/output/format.js';
import { formatAge } from '../../src/ui/format-age.js';
import { detailLoaded, openInspector, re, sameAges, useDemoSet, type Inspector, withInspectorOn } from '../helpers/inspector.js';

const demo = useDemoSet();

/** Manifest kinds the demo writes for each backup, as the list names them. */
const KINDS: Record<DemoRole, string[]> = {
  healthy: [], // two healthy backups with different manifests: see kindsOf
  dump: ['blocks', 'sha256'],
  corrupted: ['blocks', 'json'],
  truncated: ['blocks', 'json'],
  'no-manifest': [],
};
function kindsOf(name: string, role: DemoRole): string[] {
  if (role !== 'healthy') return KINDS[role];
  // the newer healthy one has STEM.sha256 beside it, the older one a .b3
  const healthy = demo.set.backups.filter((b) => b.role === 'healthy').map((b) => basename(b.file)).sort();
  return name === healthy[1] ? ['blocks', 'json', 'sha256'] : ['b3', 'blocks', 'json'];
}

const rowsOf = (ui: Inspector) => ui.lines().filter((l) => /^[› ] \S .*\.(tar|sql)\.gz/.test(l));
const namesOf = (ui: Inspector) => rowsOf(ui).map((l) => /\s((?:app|db)-\d{8}\.(?:tar|sql)\.gz)\s/.exec(l)?.[1]);
const footer = (ui: Inspector) => ui.lines()[21]!;
const allNames = () => demo.set.backups.map((b) => basename(b.file));

const withInspector = (fn: (ui: Inspector) => Promise<void>, size?: { columns?: number; rows?: number }) => withInspectorOn([demo.set.dir], fn, size);

describe('the backup list', () => {
  it('scrolls to keep the selection in view when there are more backups than rows', async () => {
    const dir = join(dirname(demo.set.dir), 'many');
    mkdirSync(dir);
    const names = Array.from({ length: 40 }, (_, i) => `host-${String(i).padStart(2, '0')}.tar.gz`);
    for (const n of names) writeFileSync(join(dir, n), n);
    const ui = await openInspector([dir]);
    try {
      const shown = () => ui.lines().filter((l) => /host-\d\d\.tar\.gz/.test(l));
      const sel = () => /host-\d\d/.exec(ui.selected()!.line)![0];
      // a header, the table header, the rows, the footer, the key bar: 19 rows of backups at 24 lines
      expect(shown()).toHaveLength(19);
      expect(ui.lines()[21]).toBe('sort: name  40 of 40 shown');
      expect(ui.lines()[0]).toMatch(/ {2}! 40 unchecked {2}· 0 unverified$/); // none has a manifest, as the size check on open found
      await ui.type('G');
      expect(sel()).toBe('host-39');
      expect(shown()[18]).toContain('host-39');
      await ui.type('g');
      expect(sel()).toBe('host-00');
      expect(ui.selected()!.index).toBe(2);
      await ui.type('{pageDown}');
      const afterPage = Number(sel().slice(5));
      expect(afterPage).toBeGreaterThanOrEqual(10);
      expect(shown().some((l) => l.startsWith('›'))).toBe(true);
      await ui.type('{pageUp}');
      expect(sel()).toBe('host-00');
      ui.vt.stdin.push('j'.repeat(25));
      await ui.quiet();
      expect(sel()).toBe('host-25');
      expect(shown()).toHaveLength(19);
    } finally {
      await ui.close();
    }
  });

  it('has a header with the folder and the counts, one row per backup, the footer and the key bar', () =>
    withInspector(async (ui) => {
      const lines = ui.lines();
      expect(lines[0]).toBe(`restorable ${demo.set.dir}  ✓ 0 ok  ✗ 1 failed  ! 1 unchecked  · 4 unverified`);
      expect(lines[0]!.length).toBeLessThanOrEqual(80);
      expect(lines[1]).toMatch(/^ {2}status +backup +size +age +manifests +checked$/);
      expect(rowsOf(ui)).toHaveLength(6);
      expect(footer(ui)).toBe('sort: name  6 of 6 shown');
      // the key bar: the list's keys from the key table, ? and q always
      for (const key of ['↵', 'v', 'V', 'b', 'd', 'r', '/']) expect(lines[22]).toMatch(new RegExp(`(^|  )${re(key)} [a-z]`));
      expect(lines[22]).toMatch(/ {2}\? help {2}q quit$/);
      expect(lines[23]).toBe('');
    }));

  it('keeps the counts in the header when the folder path is long, shortening the path from the left', async () => {
    const long = join(dirname(demo.set.dir), 'backups-of-the-production-database-server-in-eu-west-1');
    symlinkSync(demo.set.dir, long);
    const ui = await openInspector([long]);
    try {
      const header = ui.lines()[0]!;
      expect(header.length).toBeLessThanOrEqual(80);
      expect(header).toMatch(/^restorable …\S*-in-eu-west-1 {2}✓ 0 ok {2}✗ 1 failed {2}! 1 unchecked {2}· 4 unverified$/);
      expect(ui.vt.term.buffer.active.getLine(1)?.isWrapped).toBe(false);
    } finally {
      await ui.close();
    }
  });

  it('shows each backup with its size, age and manifest kinds, sorted by name', () =>
    withInspector(async (ui) => {
      expect(namesOf(ui)).toEqual([...allNames()].sort());
      for (const b of demo.set.backups) {
        const name = basename(b.file);
        const st = statSync(b.file);
        const row = rowsOf(ui).find((l) => l.includes(` ${name} `));
        expect(row, name).toBeDefined();
        // the age as shown when the list was drawn (a minute ago at most: a boundary may have passed since)
        const ages = [formatAge(st.mtimeMs), formatAge(st.mtimeMs, Date.now() - 60_000)].map(re).join('|');
        const kinds = kindsOf(name, b.role);
        const kindText = kinds.length ? kinds.join(',') : '—';
        // the manifests column is as wide as the longest list of kinds
        const shown = re(kindText);
        // each one's size was compared with its manifests on open
        const status = b.role === 'truncated' ? '✗ size mismatch' : b.role === 'no-manifest' ? '! no manifest  ' : '· size ok      ';
        expect(row).toMatch(new RegExp(`^[› ] ${re(status)} ${re(name)} +${re(formatBytes(st.size))} +(?:${ages}) ${shown} +\\d+s ago$`));
      }
      // sizes as a person reads them
      const size = (role: DemoRole) => rowsOf(ui).find((l) => l.includes(demo.byRole(role).name))!;
      expect(size('truncated')).toMatch(/ 1\.46 MiB /);
      expect(size('corrupted')).toMatch(/ 2\.44 MiB /);
      expect(size('dump')).toMatch(/ 666 KiB /);
      expect(size('no-manifest')).toMatch(/ — +\d+s ago$/); // no manifests; checked for them on open
    }));

  it('shows every manifest kind in full when the terminal is wide enough', () =>
    withInspector(
      async (ui) => {
        const newest = [...allNames()].filter((n) => n.startsWith('app-')).sort().pop()!;
        const row = rowsOf(ui).find((l) => l.includes(newest))!;
        // 100 columns leave the name column 41 wide for 19-character names; the
        // manifest kinds (blocks,json,sha256: 18 characters) should not be cut.
        expect(row).toContain('blocks,json,sha256');
      },
      { columns: 100, rows: 30 },
    ));

  it('marks the selected row with › and moves it with j/k, the arrows, g and G', () =>
    withInspector(async (ui) => {
      const sorted = [...allNames()].sort();
      const at = () => {
        const sel = ui.selected();
        expect(ui.lines().filter((l) => l.startsWith('›'))).toHaveLength(1);
        return sel ? /\s((?:app|db)-\S+)\s/.exec(sel.line)![1] : undefined;
      };
      expect(at()).toBe(sorted[0]);
      expect(ui.selected()!.index).toBe(2);
      await ui.type('j');
      expect(at()).toBe(sorted[1]);
      await ui.type('jj');
      expect(at()).toBe(sorted[3]);
      await ui.type('k');
      expect(at()).toBe(sorted[2]);
      await ui.type('{down}');
      expect(at()).toBe(sorted[3]);
      await ui.type('{up}{up}');
      expect(at()).toBe(sorted[1]);
      await ui.type('G');
      expect(at()).toBe(sorted[5]);
      expect(ui.selected()!.index).toBe(7);
      await ui.type('j'); // stays on the last
      expect(at()).toBe(sorted[5]);
      await ui.type('g');
      expect(at()).toBe(sorted[0]);
      await ui.type('k'); // stays on the first
      expect(at()).toBe(sorted[0]);
      // the selected row is also drawn inverted, the others are not
      const cells = ui.vt.cells();
      expect(cells[2]!.filter((c) => c.inverse).length).toBeGreaterThan(70);
      expect(cells[3]!.some((c) => c.inverse)).toBe(false);
    }));

  it('s cycles the sort through name, age, size and status, named in the footer', () =>
    withInspector(async (ui) => {
      const stats = new Map(demo.set.backups.map((b) => [basename(b.file), statSync(b.file)]));
      const byName = [...allNames()].sort();
      expect(footer(ui)).toMatch(/sort: name /);
      expect(namesOf(ui)).toEqual(byName);
      await ui.type('s');
      expect(footer(ui)).toMatch(/sort: age /);
      expect(namesOf(ui)).toEqual([...byName].sort((a, b) => stats.get(b)!.mtimeMs - stats.get(a)!.mtimeMs));
      await ui.type('s');
      expect(footer(ui)).toMatch(/sort: size /);
      const bySize = [...byName].sort((a, b) => stats.get(b)!.size - stats.get(a)!.size);
      expect(namesOf(ui)).toEqual(bySize);
      expect(namesOf(ui)[5]).toBe(demo.byRole('dump').name);
      await ui.type('s');
      expect(footer(ui)).toMatch(/sort: status /);
      await ui.type('s');
      expect(footer(ui)).toMatch(/sort: name /);
      expect(namesOf(ui)).toEqual(byName);
    }));

  it('v verifies the selected backup: inline progress on its row, then the result', () =>
    withInspector(async (ui) => {
      const corrupted = demo.byRole('corrupted').name;
      const row = () => rowsOf(ui).find((l) => l.includes(corrupted))!;
      const index = [...allNames()].sort().indexOf(corrupted);
      await ui.type('j'.repeat(index));
      expect(ui.selected()!.line).toContain(corrupted);
      // hold the check once hashing has started, to see the row while it runs
      const hashing = ui.pauseAt((e) => e.type === 'step' && e.id === 'hash' && e.state === 'running');
      await ui.type('v');
      await hashing.reached;
      await ui.waitFor(() => /… hashing \d+%/.test(row()));
      expect(row()).toMatch(new RegExp(`^› … hashing 0% +${re(corrupted)} `));
      // only this row is checked
      expect(rowsOf(ui).filter((l) => /hashing|queued/.test(l))).toHaveLength(1);
      expect(ui.lines()[0]).toMatch(/✓ 0 ok {2}✗ 1 failed {2}! 1 unchecked {2}· 4 unverified/);
      hashing.release();
      await ui.idle();
      expect(row()).toMatch(new RegExp(`^› ✗ corrupt +${re(corrupted)} .* \\d+s ago$`));
      expect(ui.lines()[0]).toMatch(/✓ 0 ok {2}✗ 2 failed {2}! 1 unchecked {2}· 3 unverified$/);
      expect(rowsOf(ui).filter((l) => l.includes('· size ok'))).toHaveLength(3);
    }));

  it('V verifies every backup: queued and running rows, then each result', () =>
    withInspector(async (ui) => {
      // hold the first two checks that report progress: both cores busy
      const first = ui.pauseAt((e) => e.type === 'progress');
      const second = ui.pauseAt((e) => e.type === 'progress');
      await ui.type('V');
      await Promise.all([first.reached, second.reached]);
      const busy = await ui.waitFor((t) => t.split('\n').filter((l) => /^[› ] … (hashing|blocks) \d+% /.test(l)).length === 2);
      // the one without a manifest is done at once; two run; the other three wait their turn
      expect(busy.split('\n').filter((l) => /^[› ] ○ queued +\S+\.gz /.test(l))).toHaveLength(3);
      expect(busy).toMatch(new RegExp(`^[› ] ! no manifest +${re(demo.byRole('no-manifest').name)} `, 'm'));
      first.release();
      second.release();
      await ui.idle();
      const status = (role: DemoRole) => rowsOf(ui).find((l) => l.includes(` ${demo.byRole(role).name} `))!;
      expect(status('corrupted')).toMatch(/^[› ] ✗ corrupt +app-/);
      expect(status('truncated')).toMatch(/^[› ] ✗ size mismatch app-/);
      expect(status('no-manifest')).toMatch(/^[› ] ! no manifest +app-/);
      expect(status('dump')).toMatch(/^[› ] ✓ verified +db-/);
      expect(rowsOf(ui).filter((l) => /^[› ] ✓ verified +app-/.test(l))).toHaveLength(2);
      expect(rowsOf(ui).every((l) => / \d+s ago$/.test(l))).toBe(true);
      expect(ui.lines()[0]).toMatch(/^restorable \S+ {2}✓ 3 ok {2}✗ 2 failed {2}! 1 unchecked {2}· 0 unverified$/);
      // the status sort puts the damaged ones first, then the unchecked, then the intact
      await ui.type('sss');
      expect(footer(ui)).toMatch(/sort: status /);
      expect(rowsOf(ui).map((l) => l.slice(2, 17).trim())).toEqual(['✗ size mismatch', '✗ corrupt', '! no manifest', '✓ verified', '✓ verified', '✓ verified']);
    }));

  it('/ filters by name as you type; esc clears the filter', () =>
    withInspector(async (ui) => {
      await ui.type('/');
      expect(footer(ui)).toMatch(/^filter: ▏ {2}sort: name {2}6 of 6 shown$/);
      // the date in one backup's name (the demo names them by the days before it was written)
      const date = /\d{8}/.exec(demo.byRole('truncated').name)![0];
      await ui.type(date);
      expect(footer(ui)).toMatch(new RegExp(`^filter: ${date}▏ {2}sort: name {2}1 of 6 shown$`));
      expect(namesOf(ui)).toEqual([demo.byRole('truncated').name]);
      await ui.type('{backspace}{backspace}');
      expect(footer(ui)).toMatch(new RegExp(`^filter: ${date.slice(0, 6)}▏ `));
      expect(namesOf(ui).length).toBeGreaterThan(1);
      await ui.type('{escape}');
      expect(footer(ui)).toBe('sort: name  6 of 6 shown');
      expect(namesOf(ui)).toHaveLength(6);
    }));

  it('/ … enter keeps the filter and gives the keys back to the list', () =>
    withInspector(async (ui) => {
      await ui.type('/db{enter}');
      expect(footer(ui)).toMatch(/^filter: db {2}sort: name {2}1 of 6 shown$/);
      expect(namesOf(ui)).toEqual([demo.byRole('dump').name]);
      expect(ui.selected()!.line).toContain(demo.byRole('dump').name);
      await ui.type('{enter}');
      await ui.waitFor(detailLoaded);
      expect(ui.lines()[0]).toBe(demo.byRole('dump').name);
    }));

  it('a filter that matches nothing says so', () =>
    withInspector(async (ui) => {
      await ui.type('/zzz');
      expect(ui.vt.text()).toContain('no backups here match “zzz”');
      expect(footer(ui)).toMatch(/0 of 6 shown/);
    }));

  it('coming back from a backup keeps the list as it was: selection and sort', () =>
    withInspector(async (ui) => {
      await ui.type('s'); // by age
      await ui.type('jj');
      const before = ui.selected()!;
      expect(footer(ui)).toMatch(/sort: age /);
      await ui.type('{enter}');
      await ui.waitFor(detailLoaded);
      await ui.type('{escape}');
      await ui.waitFor(/^restorable /);
      expect(footer(ui)).toMatch(/sort: age /);
      expect(sameAges(ui.selected()!.line)).toBe(sameAges(before.line));
      expect(ui.selected()!.index).toBe(before.index);
    }));
});

describe('the list in an incident', () => {
  it('f shows the failures only; ] and [ jump between damaged backups; S reverses the sort', () =>
    withInspector(async (ui) => {
      await ui.type('V');
      await ui.idle();
      const damaged = ['corrupted', 'truncated'].map((r) => demo.byRole(r as DemoRole).name).sort();
      // ] from the top goes to the first damaged backup, then the next, then round to the first again
      await ui.type('g]');
      expect(ui.selected()!.line).toContain(damaged[0]);
      await ui.type(']');
      expect(ui.selected()!.line).toContain(damaged[1]);
      await ui.type(']');
      expect(ui.selected()!.line).toContain(damaged[0]);
      await ui.type('[');
      expect(ui.selected()!.line).toContain(damaged[1]);
      // f: the damaged ones and the one that could not be checked, and nothing else
      await ui.type('f');
      expect(namesOf(ui)).toEqual([...damaged, demo.byRole('no-manifest').name].sort());
      expect(footer(ui)).toMatch(/^failures only {2}sort: name {2}3 of 6 shown$/);
      // S reverses whatever the sort is
      await ui.type('S');
      expect(namesOf(ui)).toEqual([...damaged, demo.byRole('no-manifest').name].sort().reverse());
      expect(footer(ui)).toMatch(/^failures only {2}sort: name reversed {2}3 of 6 shown$/);
      await ui.type('fS');
      expect(namesOf(ui)).toEqual([...allNames()].sort());
      expect(footer(ui)).toBe('sort: name  6 of 6 shown');
    }));
});

describe('the name comes first', () => {
  it('long names push the other columns out before they are cut, and a cut keeps the date and extension', async () => {
    const dir = join(dirname(demo.set.dir), 'long-names');
    mkdirSync(dir);
    const long = 'documentation-site-full-20261128.tar.gz'; // 39 characters
    const longer = 'documentation-site-full-with-attachments-and-search-index-20261128.tar.gz';
    for (const n of [long, longer]) writeFileSync(join(dir, n), n);
    writeFileSync(join(dir, `${long}.sha256`), `${'0'.repeat(64)}  ${long}\n`);
    for (const [columns, rows] of [[80, 24], [60, 20]] as const) {
      const ui = await openInspector([dir], { columns, rows });
      try {
        const row = ui.lines().find((l) => l.includes('documentation-site-full-2026'))!;
        // the whole name shows: the manifests column went first (at 80 columns the size stays)
        expect(row).toContain(` ${long}`);
        expect(ui.lines()[1]).not.toMatch(/manifests/);
        if (columns === 80) expect(ui.lines()[1]).toMatch(/ size /);
        // the longest is cut in the middle: its start and its date and extension stay
        const cut = ui.lines().find((l) => /documentation-s\S*…/.test(l))!;
        expect(cut).toMatch(/ documentation-s\S*…\S*-index-20261128\.tar\.gz/);
        expect(ui.lines().every((l) => l.length <= columns)).toBe(true);
      } finally {
        await ui.close();
      }
    }
  });
});
