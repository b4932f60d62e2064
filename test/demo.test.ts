import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoSet } from '../src/core/demo/demo-set.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/fixtures.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

// One demo set for the whole file: it is what a newcomer's first command produces.
let set: DemoSet;
let dir: string;
beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'restorable-demo-test-')), 'demo');
  const run = await runCli(['demo', dir, '--json']);
  expect(run.code).toBe(0);
  set = JSON.parse(run.stdout) as DemoSet;
});

afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

const byRole = (role: string) => set.backups.find((b) => b.role === role)!;

function fingerprint(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(folder)) {
    const p = join(folder, name);
    out[name] = `${statSync(p).mtimeMs}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
  }
  return out;
}

describe('restorable verify on the demo set', () => {
  it('exits 1 and names the corrupted file, its two regions, the truncated file and the backup without a manifest', async () => {
    const before = fingerprint(dir);
    const run = await runCli(['verify', dir, '--json']);
    expect(run.code).toBe(1);
    expect(fingerprint(dir)).toEqual(before); // backups and manifests untouched
    const doc = parseJsonOutput(run);
    expect(doc.ok).toBe(false);
    const result = (file: string) => doc.results.find((r) => r.file === file)!;

    const corrupted = result(byRole('corrupted').file);
    expect(corrupted.status).toBe('corrupt_blocks');
    expect(corrupted.digests.sha256.ok).toBe(false);
    const bs = set.blockSize;
    // Planted: bytes flipped inside block 5, and across the boundary of blocks 19 and 20.
    for (const f of byRole('corrupted').flipped!) {
      const region = corrupted.regions.find((r: any) => r.offset <= f.offset && f.offset + f.length <= r.offset + r.length);
      expect(region, `region covering ${f.offset}`).toBeDefined();
    }
    // With the demo's content index, each region also names the first member it spoils.
    // The demo flips bytes in compressed data: no zeros, pattern or text to see without a healthy copy.
    const looked = expect.objectContaining({ kind: 'unknown', summary: expect.stringMatching(/--against COPY/) });
    expect(corrupted.regions).toEqual([
      // Decoding picks up again at the next restart point of the index: only the members before it are spoiled.
      { kind: 'corrupt', state: 'confirmed', firstBlock: 5, lastBlock: 5, offset: 5 * bs, length: bs, members: ['app/logs/access.log'], affectedMembers: 2, resumesAt: { compressed: expect.any(Number), uncompressed: expect.any(Number) }, forensics: looked },
      // No restart point follows this one: it spoils every member after it.
      { kind: 'corrupt', state: 'confirmed', firstBlock: 19, lastBlock: 20, offset: 19 * bs, length: 2 * bs, members: ['app/uploads/photo-0002.jpg'], affectedMembers: 4, forensics: looked },
    ]);
    const points = JSON.parse(readFileSync(`${byRole('corrupted').file}.contents.json`, 'utf8')).restart_points as { compressed: number; uncompressed: number }[];
    const next = points.find((p) => p.compressed > 5 * bs)!;
    expect(corrupted.regions[0].resumesAt).toEqual({ compressed: next.compressed, uncompressed: next.uncompressed });
    expect(points.some((p) => p.compressed > 19 * bs)).toBe(false);

    const truncated = result(byRole('truncated').file);
    expect(truncated.status).toBe('size_mismatch');
    expect(truncated.size).toBe(byRole('truncated').truncatedTo);
    expect(truncated.expectedSize).toBe(byRole('truncated').truncatedFrom);
    expect(truncated.regions).toEqual([
      expect.objectContaining({ kind: 'missing', offset: byRole('truncated').truncatedTo, length: byRole('truncated').truncatedFrom! - byRole('truncated').truncatedTo!, forensics: expect.objectContaining({ kind: 'truncated' }) }),
    ]);

    expect(result(byRole('no-manifest').file).status).toBe('no_manifest');
    for (const b of set.backups.filter((b) => b.role === 'healthy' || b.role === 'dump')) expect(result(b.file).status).toBe('verified');
  });

  it('prints the same in text, with the byte offsets and a failure summary', async () => {
    const run = await runCli(['verify', dir]);
    expect(run.code).toBe(1);
    const bs = set.blockSize;
    expect(run.stdout).toContain(`block 5          bytes ${5 * bs}-${6 * bs - 1}`);
    expect(run.stdout).toContain(`blocks 19-20     bytes ${19 * bs}-${21 * bs - 1}`);
    expect(run.stdout).toMatch(/3 failed:/);
    for (const role of ['corrupted', 'truncated', 'no-manifest']) expect(run.stdout).toContain(basename(byRole(role).file));
    expect(run.stderr).toBe(''); // no progress bar without a terminal
  });

  it('verifies every kind of sidecar the demo wrote: sha256 with an absolute path, b3, legacy JSON, SHA256SUMS', async () => {
    const names = readdirSync(dir);
    expect(names.some((n) => /^app-\d{8}\.sha256$/.test(n))).toBe(true);
    expect(names.some((n) => n.endsWith('.b3'))).toBe(true);
    expect(names).toContain('SHA256SUMS');
    const healthy = set.backups.filter((b) => b.role === 'healthy').map((b) => `${basename(b.file)}.manifest.json`);
    expect(healthy.some((n) => !readFileSync(join(dir, n), 'utf8').includes('backup_file'))).toBe(true); // the legacy shape
    for (const manifest of [...healthy, ...names.filter((n) => n.endsWith('.sha256') || n.endsWith('.b3') || n === 'SHA256SUMS')]) {
      const run = await runCli(['verify', join(dir, manifest)]);
      expect(run.code, `${manifest}: ${run.stdout}${run.stderr}`).toBe(0);
    }
  });

  it('locates the damage with `restorable blocks` alone', async () => {
    const run = await runCli(['blocks', byRole('corrupted').file, '--json']);
    expect(run.code).toBe(1);
    const [r] = parseJsonOutput(run).results;
    expect(r!.regions.map((x: any) => [x.firstBlock, x.lastBlock])).toEqual([
      [5, 5],
      [19, 20],
    ]);
  });

  it('refuses to write the demo into a folder that holds other files', async () => {
    const other = tempDir();
    const keep = join(other, 'important.txt');
    await import('node:fs').then((fs) => fs.writeFileSync(keep, 'keep me'));
    const run = await runCli(['demo', other, '--no-open']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a demo set');
    expect(readFileSync(keep, 'utf8')).toBe('keep me');
  });
});
