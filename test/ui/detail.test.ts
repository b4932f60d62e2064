import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import { openInspector, re, useDemoSet, type Inspector } from '../helpers/inspector.js';

const demo = useDemoSet();

/** The folder as it is: every file with its size, mtime and sha256. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    out[name] = `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  }
  return out;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const prefix = (hex: string) => `${hex.slice(0, 16)}…`;

let ui: Inspector;
beforeAll(async () => {
  ui = await openInspector([demo.set.dir]);
});
afterAll(() => ui?.close());

/** Opens the detail of one backup from the list (sorted by name). */
async function open(role: DemoRole, which = 0): Promise<string> {
  const names = demo.set.backups.filter((b) => b.role === role).map((b) => basename(b.file)).sort();
  const name = names[which]!;
  const index = demo.set.backups.map((b) => basename(b.file)).sort().indexOf(name);
  await ui.waitFor(/^restorable /);
  await ui.type(`g${'j'.repeat(index)}{enter}`);
  await ui.waitFor(new RegExp(`^${re(name)}\\n`));
  await ui.waitFor((t) => !t.includes('reading…'));
  return name;
}
async function back() {
  await ui.type('{escape}');
  await ui.waitFor(/^restorable /);
}

/** The two lines the detail shows for one manifest: its name (kind), then what it says. */
function manifestLines(file: string): [string, string] {
  const lines = ui.lines();
  const i = lines.findIndex((l) => l.startsWith(`› ${file} `));
  expect(i, `${file} is listed:\n${lines.join('\n')}`).toBeGreaterThan(0);
  return [lines[i]!, lines[i + 1]!];
}

describe('the detail of a backup (enter)', () => {
  it('names the backup, its size in bytes, its folder and its status', async () => {
    const name = await open('corrupted');
    const st = statSync(join(demo.set.dir, name));
    const days = Math.floor((Date.now() - st.mtimeMs) / 86_400_000);
    const lines = ui.lines();
    expect(lines[0]).toBe(name);
    expect(lines[1]).toMatch(new RegExp(`^2\\.44 MiB \\(${st.size} bytes\\) · modified ${days}d ago · ${re(demo.set.dir)}$`));
    // on open, sizes were compared with the manifests: the same size, but nothing read the bytes
    expect(lines[2]).toMatch(/^status: · size ok \(\d+s ago\)$/);
    expect(lines[3]).toMatch(/^checks: quick size ok \d+s ago$/);
    expect(lines).toContain('Manifests');
    for (const key of ['v', 'b', 'm', 'esc']) expect(lines[22]).toMatch(new RegExp(`(^|  )${re(key)} [a-z]`));
    await back();
  });

  it('lists each manifest of the corrupted backup and what it says', async () => {
    const name = await open('corrupted');
    const json = JSON.parse(readFileSync(join(demo.set.dir, `${name}.manifest.json`), 'utf8'));
    const map = JSON.parse(readFileSync(join(demo.set.dir, `${name}.blocks.json`), 'utf8'));
    const [j1, j2] = manifestLines(`${name}.manifest.json`);
    expect(j1).toBe(`› ${name}.manifest.json (json)`);
    expect(j2).toMatch(new RegExp(`^ {4}size ${json.file_size} · md5 ${re(prefix(json.hashes.md5))} · sha256 ${re(prefix(json.hashes.sha256))} · sha512 `));
    const [b1, b2] = manifestLines(`${name}.blocks.json`);
    expect(b1).toBe(`› ${name}.blocks.json (block-map)`);
    expect(b2).toBe(`    size ${map.file_size} · sha256 ${prefix(map.file_hash)} · ${map.total_blocks} blocks of 64 KiB`);
    expect(map.total_blocks).toBe(39);
    // nothing else claims to be a manifest of it
    expect(ui.lines().filter((l) => l.startsWith('› '))).toHaveLength(2);
    await back();
  });

  it('lists the coreutils and b3sum manifests of the healthy backups, with their line', async () => {
    const newer = await open('healthy', 1);
    const stem = newer.replace(/\.tar\.gz$/, '');
    const sumLine = readFileSync(join(demo.set.dir, `${stem}.sha256`), 'utf8');
    const [s1, s2] = manifestLines(`${stem}.sha256:1`);
    expect(s1).toMatch(new RegExp(`^› ${re(stem)}\\.sha256:1 \\(\\w+\\)$`));
    expect(s2).toBe(`    sha256 ${prefix(sumLine.slice(0, 64))}`);
    expect(ui.lines().filter((l) => l.startsWith('› '))).toHaveLength(3);
    await back();

    const older = await open('healthy', 0);
    const b3 = readFileSync(join(demo.set.dir, `${older}.b3`), 'utf8').slice(0, 64);
    const legacy = JSON.parse(readFileSync(join(demo.set.dir, `${older}.manifest.json`), 'utf8'));
    const [l1, l2] = manifestLines(`${older}.b3:1`);
    expect(l1).toMatch(new RegExp(`^› ${re(older)}\\.b3:1 \\(b3\\w*\\)$`));
    expect(l2).toBe(`    blake3 ${prefix(b3)}`);
    const [m1, m2] = manifestLines(`${older}.manifest.json`);
    expect(m1).toBe(`› ${older}.manifest.json (json)`);
    expect(m2).toMatch(new RegExp(`^ {4}size ${legacy.size} · sha256 ${re(prefix(legacy.hash))}`));
    expect(ui.lines().filter((l) => l.startsWith('› '))).toHaveLength(3);
    await back();
  });

  it('lists the line of SHA256SUMS that names the dump', async () => {
    const name = await open('dump');
    const sums = readFileSync(join(demo.set.dir, 'SHA256SUMS'), 'utf8').split('\n');
    const at = sums.findIndex((l) => l.endsWith(` ${name}`) || l.endsWith(`*${name}`));
    expect(at).toBeGreaterThanOrEqual(0);
    const [s1, s2] = manifestLines(`SHA256SUMS:${at + 1}`);
    expect(s1).toMatch(/\(\w+\)$/);
    expect(s2).toBe(`    sha256 ${prefix(sums[at]!.slice(0, 64))}`);
    manifestLines(`${name}.blocks.json`);
    await back();
  });

  it('says when a backup has no manifest at all', async () => {
    await open('no-manifest');
    const text = ui.vt.text();
    expect(text).toMatch(/^! none found: nothing says what this backup should contain\. Press m to write/m);
    expect(ui.lines().filter((l) => l.startsWith('› '))).toHaveLength(0);
    await back();
  });

  it('m asks first; n and esc write nothing', async () => {
    const name = await open('no-manifest');
    const before = snapshot(demo.set.dir);
    await ui.type('m');
    const asked = await ui.waitFor('Write them? y/N');
    // the question names both files it would write, and that the backup is only read
    const flat = asked.replace(/[│╭╮╰╯─]/g, ' ').replace(/\s+/g, ' ');
    expect(flat).toContain(`This writes ${name}.manifest.json and ${name}.blocks.json beside the backup`);
    expect(flat).toContain('The backup itself is only read.');
    // while it asks, other keys do nothing: not v (verify), not esc-as-back
    await ui.type('v');
    expect(ui.queue.get(join(demo.set.dir, name))).toBeUndefined();
    await ui.type('n');
    await ui.waitFor((t) => !t.includes('Write them?'));
    expect(ui.lines()[0]).toBe(name); // still on the detail
    await ui.type('m');
    await ui.waitFor('Write them? y/N');
    await ui.type('{escape}');
    await ui.waitFor((t) => !t.includes('Write them?'));
    expect(ui.lines()[0]).toBe(name); // esc answered the question, it did not leave the screen
    await ui.type('m');
    await ui.waitFor('Write them? y/N');
    await ui.type('{enter}'); // the default is No
    await ui.waitFor((t) => !t.includes('Write them?'));
    await ui.quiet();
    expect(ui.queue.get(join(demo.set.dir, name))).toBeUndefined();
    expect(snapshot(demo.set.dir)).toEqual(before);
    await back();
  });

  it('m then y writes NAME.manifest.json and NAME.blocks.json; verifying then passes', async () => {
    const name = await open('no-manifest');
    const file = join(demo.set.dir, name);
    const before = snapshot(demo.set.dir);
    await ui.type('m');
    await ui.waitFor('Write them? y/N');
    await ui.type('y');
    await ui.idle();
    await ui.waitFor(`› ${name}.blocks.json`);
    // exactly the two files are new; nothing else changed, the backup least of all
    const after = snapshot(demo.set.dir);
    expect(Object.keys(after).filter((n) => !(n in before)).sort()).toEqual([`${name}.blocks.json`, `${name}.manifest.json`]);
    for (const n of Object.keys(before)) expect(after[n], n).toBe(before[n]);
    // what they say is true of the file
    const digest = sha256(file);
    const size = statSync(file).size;
    const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8'));
    expect(manifest.hashes.sha256).toBe(digest);
    expect(manifest.file_size).toBe(size);
    const map = JSON.parse(readFileSync(`${file}.blocks.json`, 'utf8'));
    expect(map.file_size).toBe(size);
    expect(map.file_hash).toBe(digest);
    // the screen now shows them, and the status says they were written
    expect(ui.lines()[2]).toMatch(/^status: ✓ created/);
    expect(manifestLines(`${name}.manifest.json`)[1]).toMatch(new RegExp(`^ {4}size ${size} · sha256 ${re(prefix(digest))}`));
    expect(manifestLines(`${name}.blocks.json`)[1]).toMatch(new RegExp(`^ {4}size ${size} · sha256 ${re(prefix(digest))} · ${map.total_blocks} blocks of 1 MiB`));
    // and verifying against them passes
    await ui.type('v');
    await ui.waitFor(/^verify /);
    await ui.idle();
    const verified = await ui.waitFor(/^✓ verified \(.* in [\d.]+ s(, .*\/s)?\)$/m);
    expect(verified).toContain(`✓ sha256  ${digest}`);
    expect(verified).not.toMatch(/✗|no manifest/);
    await ui.type('{escape}');
    await ui.waitFor(/^status: ✓ verified/m);
    await back();
  });

  it('after m wrote manifests, the list shows their kinds on the backup’s row', async () => {
    // runs after the test above: the backup that had none now has two
    const name = demo.byRole('no-manifest').name;
    const row = ui.lines().find((l) => l.includes(` ${name} `))!;
    expect(row).toMatch(/ blocks,json +\S/);
  });
});

describe('long findings in the detail', () => {
  it('are wrapped, never cut: every digest can be read in full, scrolling with PgDn', async () => {
    const name = await open('corrupted');
    const manifest = JSON.parse(readFileSync(join(demo.set.dir, `${name}.manifest.json`), 'utf8'));
    await ui.type('v');
    await ui.waitFor(/^✗ corrupt \(.* in [\d.]+ s(, .*\/s)?\)$/m);
    await ui.type('{escape}');
    await ui.waitFor(/^Last check$/m);
    // what the findings pane showed, page by page (pages overlap), its wrapped lines joined again
    const all: string[] = [];
    for (let page = 0; page < 8; page++) {
      const lines = ui.lines();
      const pane = lines.slice(lines.indexOf('Last check') + 1).filter((l) => /^(✗|!| {2}\S)/.test(l) && !/more lines|^✗ corrupt \(confirmed\)/.test(l));
      let k = Math.min(pane.length, all.length);
      while (k > 0 && all.slice(-k).join('\n') !== pane.slice(0, k).join('\n')) k--;
      all.push(...pane.slice(k));
      if (!lines.some((l) => /more lines \(PgDn\)/.test(l))) break;
      await ui.type('{pageDown}');
    }
    const seen = all.map((l) => l.trim()).join('');
    for (const algo of ['md5', 'sha256', 'sha512']) expect(seen, algo).toContain(manifest.hashes[algo]);
    expect(ui.lines().every((l) => l.length <= 80)).toBe(true);
    await back();
  });
});
