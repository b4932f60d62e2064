import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, tempDir } from '../helpers/fixtures.js';
import { re, withInspectorOn } from '../helpers/inspector.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * A backup whose manifest disagrees with its bytes, though the archive itself
 * is sound: the hash check finds the mismatch, a deep check reads the archive
 * to its end and passes. What the hash check found must stand.
 */
async function mismatchedArchive(): Promise<{ dir: string; name: string; state: string }> {
  const root = tempDir();
  const dir = join(root, 'backups');
  const src = join(root, 'src');
  mkdirSync(join(src, 'site'), { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(join(src, 'site', `page-${i}.html`), bytes(`page-${i}`, 20_000).toString('base64'));
  mkdirSync(dir);
  const name = 'site-20261120.tar.gz';
  execFileSync('tar', ['-czf', join(dir, name), '-C', src, 'site']);
  expect((await runCli(['manifest', join(dir, name)])).code).toBe(0);
  // The manifest names other bytes of the same size: a backup that is not the one it describes.
  const manifest = join(dir, `${name}.manifest.json`);
  const text = readFileSync(manifest, 'utf8');
  const sha = (JSON.parse(text) as { hashes: { sha256: string } }).hashes.sha256;
  writeFileSync(manifest, text.split(sha).join(`${sha[0] === 'a' ? 'b' : 'a'}${sha.slice(1)}`));
  return { dir, name, state: join(root, 'state') };
}

describe('the one state, sticky in the inspector', () => {
  it('a hash mismatch survives a passing deep check, a cancelled one, and a restart; the detail says what found it', async () => {
    const { dir, name, state } = await mismatchedArchive();
    const row = new RegExp(`^› (.+?) +${re(name)} `, 'm');
    await withInspectorOn([dir], async (ui) => {
      // On open only the size was compared: it matches, and that is all it says.
      expect(ui.selected()!.line).toMatch(new RegExp(`^› · size ok +${re(name)} `));
      await ui.type('v');
      await ui.idle();
      expect(ui.selected()!.line).toMatch(new RegExp(`^› ✗ hash mismatch ${re(name)} `));
      // A deep check reads the archive to its end and passes: the mismatch stands.
      await ui.type('d');
      await ui.waitFor(/^✓ verified tar\+gzip/m);
      await ui.type('{escape}');
      await ui.waitFor(/^restorable /);
      expect(row.exec(ui.vt.text())![1]).toBe('✗ hash mismatch');
      // A deep check cancelled half way changes nothing either.
      const held = ui.pauseAt((e) => e.type === 'step' && e.state === 'running');
      await ui.type('d');
      await held.reached;
      await ui.type('{escape}');
      held.release();
      await ui.idle();
      expect(row.exec(ui.vt.text())![1]).toBe('✗ hash mismatch');
      expect(ui.queue.get(join(dir, name))?.state).toBe('cancelled');
      // The detail: what found it, and why what ran since does not clear it.
      await ui.type('{enter}');
      const detail = await ui.waitFor(/^Manifests$/m);
      expect(detail.replace(/\n(?!\n)/g, ' ')).toMatch(/status: ✗ hash mismatch found by the hash check \d+s ago; not cleared by the deep check since \(verified\) checks: /);
      expect(detail).toMatch(/^checks: deep verified \d+s ago · hash hash mismatch \d+s ago · quick size ok \d+s ago$/m);
    }, undefined, { stateDir: state });

    // Quit and open again: the ledger kept it, and the size check on open does not clear it.
    const ledger = JSON.parse(readFileSync(join(state, 'ledger.json'), 'utf8'));
    expect(Object.keys(ledger.backups[join(dir, name)]).sort()).toEqual(['deep', 'hash', 'quick']);
    await withInspectorOn([dir], async (ui) => {
      expect(ui.selected()!.line).toMatch(new RegExp(`^› ✗ hash mismatch ${re(name)} `));
      expect(ui.lines()[0]).toMatch(/✓ 0 ok {2}✗ 1 failed/);
    }, undefined, { stateDir: state });
  });
});
