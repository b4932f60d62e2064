import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManifests } from '../../src/core/checks/create.js';
import { WorkerPool } from '../../src/core/hash/pool.js';
import { expectHelpOverlay } from '../helpers/help-overlay.js';
import { type Inspector, withInspectorOn } from '../helpers/inspector.js';

/**
 * A backup on this machine with its manifest and block map, and two more
 * copies in local folder locations ("spare", "far"); a test damages one.
 */
const NAME = 'db.tar.gz';
let root = '';
let original = '';
const home = () => join(root, 'home');
const copyIn = (where: 'home' | 'spare' | 'far') => join(root, where, NAME);
const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

beforeEach(async () => {
  // A short path: the location header shows it whole at 80 columns.
  root = await realpath(await mkdtemp(join(tmpdir(), 'r-')));
  for (const d of ['home', 'spare', 'far']) await mkdir(join(root, d));
  const data = Buffer.alloc(3 * 1024 * 1024 + 12345);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
  await writeFile(copyIn('home'), data);
  const pool = new WorkerPool(2);
  try {
    const gen = createManifests(copyIn('home'), { pool }, { algorithms: ['sha256'], blockSize: 1024 * 1024 });
    while (!(await gen.next()).done);
  } finally {
    await pool.close();
  }
  await copyFile(copyIn('home'), copyIn('spare'));
  await copyFile(copyIn('home'), copyIn('far'));
  original = await sha256(copyIn('home'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Flips bytes in the second block of a copy. */
async function damage(file: string): Promise<void> {
  const h = await open(file, 'r+');
  await h.write(Buffer.from('rotten bytes here'), 0, 17, 1024 * 1024 + 100);
  await h.close();
}

const withCopies = (fn: (ui: Inspector) => Promise<void>) =>
  withInspectorOn([home()], fn, undefined, { locations: [`spare=${join(root, 'spare')}`, `far=${join(root, 'far')}`], stateDir: join(root, 'state') });

/** The Copies section's line for one location. */
const copyLine = (ui: Inspector, name: string) => ui.lines().find((l) => new RegExp(`^(›| ) ${name} +[✓✗!·…]`).test(l)) ?? '';

describe('storage locations in the inspector', () => {
  it('tab goes through each location; v checks every copy and the states land in the rows and the ledger', async () => {
    await damage(copyIn('spare'));
    await withCopies(async (ui) => {
      let text = await ui.waitFor(NAME);
      expect(text).toMatch(/^restorable .*\(1\/3\)$/m);
      expect(ui.lines()[22]).toContain('tab location');
      await ui.type('{tab}');
      text = await ui.waitFor(/^location: spare/m);
      expect(text).toMatch(new RegExp(`^location: spare  ${join(root, 'spare')}  \\(2/3\\)$`, 'm'));
      expect(ui.selected()?.line).toMatch(new RegExp(`^› · unchecked +${NAME.replace('.', '\\.')} +3\\.01 MiB +\\S+ +—$`));
      await ui.type('v');
      await ui.waitFor(() => /^› ✗ corrupt +db\.tar\.gz .* \d+s ago$/.test(ui.selected()?.line ?? ''));
      await ui.type('{tab}');
      text = await ui.waitFor(/^location: far .*\(3\/3\)$/m);
      expect(ui.selected()?.line).toMatch(/^› ✓ verified +db\.tar\.gz .* \d+s ago$/);
      await ui.type('{tab}');
      await ui.waitFor(/^restorable .*\(1\/3\)$/m);
      expect(ui.lines().every((l) => l.length <= 80)).toBe(true);
    });
    // Same keys as `restorable locations`: the backup's name in its folder, then the location.
    const ledger = JSON.parse(await readFile(join(root, 'state', 'ledger.json'), 'utf8'));
    const checks = ledger.locations[NAME];
    expect(Object.keys(checks).sort()).toEqual(['far', 'local', 'spare']);
    expect(checks.spare.last_integrity_check.status).toBe('corrupt_blocks');
    expect(checks.spare.last_integrity_check.errors).toContainEqual(expect.stringMatching(/^corrupt \(confirmed\) region: block 1, bytes 1048576-2097151/));
    expect(checks.far.last_integrity_check.status).toBe('verified');
    expect(checks.local.last_integrity_check.status).toBe('verified');
  });

  it('the detail lists every copy; c checks them; h + y heals the damaged copy in a location and re-checks', async () => {
    await damage(copyIn('spare'));
    await withCopies(async (ui) => {
      await ui.waitFor(NAME);
      await ui.type('{enter}');
      await ui.waitFor(/^Copies$/m);
      for (const name of ['local', 'spare', 'far']) expect(copyLine(ui, name)).toMatch(new RegExp(`^. ${name} +· unchecked +— +—`));
      expect(ui.lines()[22]).toMatch(/c copies {2}h heal/);
      await ui.type('c');
      await ui.waitFor((t) => /^. far +✓ verified/m.test(t) && /^. spare +✗ corrupt/m.test(t));
      expect(copyLine(ui, 'local')).toMatch(/^› local +✓ verified +read in full +\d+s ago +\//);
      expect(copyLine(ui, 'spare')).toMatch(/^  spare +✗ corrupt +read in full +\d+s ago/);
      // The selected copy's first error, where it is damaged; j moves the selection to the spare's copy.
      await ui.type('j');
      await ui.waitFor(/^ {2}✗ spare: corrupt \(confirmed\) region: block 1, bytes 1048576-2097151/m);
      expect(ui.lines().every((l) => l.length <= 80)).toBe(true);

      await ui.type('h');
      let text = await ui.waitFor('Heal it? y/N');
      expect(text).toMatch(/Heal the copy in spare from the one in local/);
      await ui.type('y');
      text = await ui.waitFor(/^✓ check every copy again local verified · spare verified · far verified$/m);
      expect(text).toMatch(/^heal db\.tar\.gz in spare$/m);
      expect(text).toMatch(/^✓ reading .*spare\/db\.tar\.gz 1 bad block in 1 region$/m);
      expect(text).toMatch(/^✓ fetching 1 block from local 1 blocks, 1048576 bytes$/m);
      expect(text).toMatch(/^✓ verifying the repaired file sha256$/m);
      expect(text).toMatch(/^✓ replacing .*spare\/db\.tar\.gz$/m);
      expect(text).toMatch(/^healed 1 block \(1048576 bytes\) from .*home\/db\.tar\.gz$/m);
      expect(text).toMatch(/^✓ verified$/m);
      expect(await sha256(copyIn('spare'))).toBe(original);
      expect(existsSync(`${copyIn('spare')}.damaged`)).toBe(true);
      // the heal screen's help: its keys from the key table, and any key only closes it
      await expectHelpOverlay(ui, 'heal', { features: new Set(['locations']), must: ['back', 'help', 'quit'], not: ['hex view', 'filter by name', 'verify'] });
      await ui.type('{escape}');
      await ui.waitFor(/^. spare +✓ verified +read in full/m);
    });
  });

  it('h on the damaged copy on this machine writes NAME.healed beside it, from a verified location', async () => {
    await damage(copyIn('home'));
    const damaged = await sha256(copyIn('home'));
    await withCopies(async (ui) => {
      await ui.waitFor(NAME);
      await ui.type('{enter}');
      await ui.waitFor(/^Copies$/m);
      await ui.type('h');
      await ui.waitFor(/no verified copy to heal from|no damaged copy to heal/);
      await ui.type('c');
      await ui.waitFor(/^› local +✗ corrupt/m);
      await ui.type('h');
      const text = await ui.waitFor('Heal it? y/N');
      expect(text).toMatch(/Heal the copy in local from the one in spare/);
      expect(text).toMatch(/db\.tar\.gz\.healed beside the backup/);
      await ui.type('y');
      await ui.waitFor(/^✓ check every copy again local corrupt blocks · spare verified · far verified$/m);
      expect(ui.vt.text()).toMatch(/^repaired file: .*home\/db\.tar\.gz\.healed$/m);
    });
    expect(await sha256(`${copyIn('home')}.healed`)).toBe(original);
    expect(await sha256(copyIn('home'))).toBe(damaged);
  });

  it('in the hex view, n finds the bytes that differ from a verified copy elsewhere (without one: the next run of zeros)', async () => {
    await damage(copyIn('home'));
    const [mine, theirs] = await Promise.all([readFile(copyIn('home')), readFile(copyIn('spare'))]);
    // Where they differ, from the two files themselves.
    let first = 0;
    while (mine[first] === theirs[first]) first++;
    let last = first;
    while (mine[last] !== theirs[last]) last++;
    await withCopies(async (ui) => {
      await ui.waitFor(NAME);
      await ui.type('{enter}');
      await ui.waitFor(/^Copies$/m);
      await ui.type('c');
      await ui.waitFor(/^. spare +✓ verified/m);
      await ui.type('{escape}b');
      await ui.waitFor(/^block map /m);
      await ui.waitFor(/✗/);
      await ui.type(':1{enter}x');
      await ui.waitFor(/^block 1 of /);
      await ui.type('n');
      await ui.waitFor(new RegExp(`${last - first} bytes differ from the copy in spare at byte ${first}`));
      // the line of the first difference is the top one, marked
      expect(ui.lines()[2]).toMatch(new RegExp(`^${String(first - (first % 16)).padStart(10, '0')} `));
      // d: the two side by side, 8 bytes a line; the other copy's bytes only where they differ.
      await ui.type('d');
      await ui.waitFor(/left: this copy; right: the copy in spare, where it differs/);
      const row = await ui.waitFor(new RegExp(`^${String(first - (first % 8)).padStart(10, '0')}  .*│ `, 'm'));
      const line = row.split('\n').find((l) => l.startsWith(String(first - (first % 8)).padStart(10, '0')))!;
      const [left, right] = line.slice(12).split('│').map((h) => h.trim().split(' '));
      const k = first % 8;
      expect(left![k]).toBe(mine[first]!.toString(16).padStart(2, '0'));
      expect(right![k]).toBe(theirs[first]!.toString(16).padStart(2, '0'));
      if (k > 0) expect(right![k - 1]).toBe('··'); // the byte before it is the same in both
      expect(ui.lines()[1]).toMatch(/offset  00 01 02 03 04 05 06 07  │ in spare/);
      // d again: back to 16 bytes a line with the text column; n again: no other difference in this block
      await ui.type('d');
      await ui.waitFor(/offset  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  text/);
      await ui.type('n');
      await ui.waitFor(new RegExp(`no difference from the copy in spare after byte ${last} in this block`));
    });
  });
});

