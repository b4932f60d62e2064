import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoRole } from '../../src/core/demo/demo-set.js';
import type { CheckEvent } from '../../src/core/events/types.js';
import { re, useDemoSet, type Inspector, withInspectorOn } from '../helpers/inspector.js';

const demo = useDemoSet();

const digest = (algo: string, path: string) => createHash(algo).update(readFileSync(path)).digest('hex');

const withInspector = (fn: (ui: Inspector) => Promise<void>, size?: { columns?: number; rows?: number }) => withInspectorOn([demo.set.dir], fn, size);

async function openDetail(ui: Inspector, role: DemoRole): Promise<string> {
  const name = demo.byRole(role).name;
  const index = demo.set.backups.map((b) => basename(b.file)).sort().indexOf(name);
  await ui.type(`${'j'.repeat(index)}{enter}`);
  await ui.waitFor(new RegExp(`^${re(name)}\\n`));
  return name;
}

/** A digest line as shown: whole, or cut at the edge with an ellipsis; returns the hex shown. */
function shownHex(line: string, label: string): string {
  const m = new RegExp(`^ {2}${label} +([0-9a-f]+)(…?)$`).exec(line);
  expect(m, `${label} line: ${line}`).not.toBeNull();
  return m![1]!;
}

describe('the hash screen (v from the detail)', () => {
  it('shows progress per digest while hashing, then expected against actual with the mismatches marked ✗', () =>
    withInspector(async (ui) => {
      const name = await openDetail(ui, 'corrupted');
      const file = join(demo.set.dir, name);
      const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8'));
      // hold the check at its last hashing progress (every byte through every digest), before any result
      const complete = (e: CheckEvent) => e.type === 'progress' && e.phase === 'hash' && e.done === e.total && Object.values(e.parts ?? {}).every((n) => n === e.total);
      const hashing = ui.pauseAt(complete);
      await ui.type('v');
      await hashing.reached;
      // one bar per digest the manifests state, with its percentage in words (the next frame shows the held state)
      const bars = (t: string) => ['md5', 'sha256', 'sha512'].every((algo) => new RegExp(`^${algo} +[█░]+ +100%$`, 'm').test(t));
      const live = await ui.waitFor(bars);
      expect(live.split('\n')[0]).toBe(`verify ${name}`);
      expect(live).toMatch(/^2\.44 MiB of 2\.44 MiB · \S+ \S+\/s · ETA \S+$/m);
      expect(live).toMatch(/^… hash \(md5, sha256, sha512\)$/m);
      expect(live).not.toMatch(/expected|✗ corrupt/);
      hashing.release();
      await ui.idle();
      const done = await ui.waitFor(/^✗ corrupt \(.* in [\d.]+ s(, .*\/s)?\)$/m);
      const lines = done.split('\n');
      // the progress bars are gone once the result is in
      expect(done).not.toMatch(/[█░]/);
      for (const algo of ['md5', 'sha256', 'sha512']) {
        const at = lines.indexOf(`✗ ${algo} mismatch`);
        expect(at, `${algo} is marked ✗`).toBeGreaterThan(0);
        const expected = shownHex(lines[at + 1]!, 'expected');
        const actual = shownHex(lines[at + 2]!, 'actual');
        // what the manifest says, and what the file's bytes hash to now
        expect(manifest.hashes[algo].startsWith(expected)).toBe(true);
        expect(digest(algo, file).startsWith(actual)).toBe(true);
        expect(expected.length).toBeGreaterThanOrEqual(Math.min(64, manifest.hashes[algo].length));
        expect(actual).not.toBe(expected);
      }
      // md5 and sha256 fit 80 columns whole
      expect(lines).toContain(`  expected ${manifest.hashes.sha256}`);
      expect(lines).toContain(`  actual   ${digest('sha256', file)}`);
      // the damaged regions, with exact byte offsets
      expect(done).toMatch(/^✗ corrupt \(confirmed\) +block 5 +bytes 327680-393215 \(64 KiB\)$/m);
      expect(done).toMatch(/^✗ corrupt \(confirmed\) +blocks 19-20 +bytes 1245184-1376255 \(128 KiB\)$/m);
      // the steps it took
      expect(done).toMatch(/^✓ size 2555717 bytes$/m);
      expect(done).toMatch(/^✗ hash \(md5, sha256, sha512\)$/m);
      expect(done).toMatch(/^✓ re-reading 3 bad blocks 3 confirmed, 0 transient$/m);
    }));

  it('shows a matching digest once, marked ✓', () =>
    withInspector(async (ui) => {
      const name = await openDetail(ui, 'dump');
      await ui.type('v');
      await ui.idle();
      const done = await ui.waitFor(/^✓ verified \(.* in [\d.]+ s(, .*\/s)?\)$/m);
      expect(done).toMatch(new RegExp(`^✓ sha256 +${digest('sha256', join(demo.set.dir, name))}$`, 'm'));
      expect(done).not.toMatch(/✗|mismatch/);
    }));

  it('says a truncated backup is short, and by how much', () =>
    withInspector(async (ui) => {
      const name = await openDetail(ui, 'truncated');
      const t = demo.byRole('truncated');
      await ui.type('v');
      await ui.idle();
      const done = await ui.waitFor(/^✗ size mismatch \(.* in [\d.]+ s(, .*\/s)?\)$/m);
      expect(done).toMatch(new RegExp(`^✗ size ${t.truncatedTo} bytes$`, 'm'));
      expect(done).toMatch(new RegExp(`^✗ missing +blocks 23-38 +bytes ${t.truncatedTo}-${t.truncatedFrom! - 1} `, 'm'));
      expect(done).toContain(`size is ${t.truncatedTo} bytes, expected ${t.truncatedFrom}`);
      expect(name).toBe(t.name);
    }));

  it('shows a check waiting for a free core as queued', () =>
    withInspector(async (ui) => {
      // both cores held by two other checks
      const a = ui.pauseAt((e) => e.type === 'progress');
      const b = ui.pauseAt((e) => e.type === 'progress');
      await ui.type('V');
      await Promise.all([a.reached, b.reached]);
      const name = await openDetail(ui, 'dump'); // last by name: still queued
      await ui.type('v');
      const queued = await ui.waitFor(/queued behind other checks/);
      expect(queued.split('\n')[0]).toBe(`verify ${name}`);
      a.release();
      b.release();
      await ui.idle();
      await ui.waitFor(/^✓ verified \(.* in [\d.]+ s(, .*\/s)?\)$/m);
    }));

  it('esc while hashing cancels the check', () =>
    withInspector(async (ui) => {
      const name = await openDetail(ui, 'corrupted');
      const hashing = ui.pauseAt((e) => e.type === 'progress');
      await ui.type('v');
      await hashing.reached;
      await ui.type('{escape}');
      hashing.release();
      await ui.idle();
      expect(ui.queue.get(join(demo.set.dir, name))!.state).toBe('cancelled');
      expect(ui.lines()[0]).toBe(name); // back on the detail
    }));
});
