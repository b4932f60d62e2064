import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexPlainTar, membersIn } from '../src/core/archive/tar-index.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { bytes, tempDir } from './helpers/fixtures.js';

/** A plain tar by GNU tar, with a name too long for the old header (a GNU long-name record). */
function makeTar(dir: string, format: 'gnu' | 'pax'): { file: string; names: string[] } {
  const src = join(dir, 'src');
  const deep = `${'very-long-folder-name/'.repeat(6)}data`;
  mkdirSync(join(src, deep), { recursive: true });
  const names = ['a.bin', `${deep}/b.bin`, 'c.bin'];
  names.forEach((n, i) => writeFileSync(join(src, n), bytes(n, 100_000 + i * 1000)));
  const file = join(dir, `${format}.tar`);
  execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', src, ...names]);
  return { file, names };
}

describe('members of an uncompressed tar', () => {
  for (const format of ['gnu', 'pax'] as const) {
    it(`finds the exact extent of every member of a ${format} tar, long names included`, async () => {
      const { file, names } = makeTar(tempDir(), format);
      const h = await open(file, 'r');
      const extents = await indexPlainTar(h, (await h.stat()).size);
      await h.close();
      expect(extents.map((e) => e.path)).toEqual(names);
      expect(extents.map((e) => e.size)).toEqual([100_000, 101_000, 102_000]);
      // tar lists the same data at those offsets: compare with the files' bytes.
      const content = execFileSync('cat', [file]);
      extents.forEach((e, i) => expect(content.subarray(e.dataOffset, e.dataOffset + e.size).equals(bytes(names[i]!, e.size))).toBe(true));
      expect(membersIn(extents, extents[1]!.dataOffset + 10, 10)).toEqual([names[1]]);
      expect(membersIn(extents, extents[1]!.dataOffset + extents[1]!.size - 5, extents[2]!.headerOffset - extents[1]!.dataOffset)).toEqual([names[1], names[2]]);
    });
  }

  it('verify names the members a damaged region of a plain tar falls in', async () => {
    const dir = tempDir();
    const { file, names } = makeTar(dir, 'gnu');
    expect((await runCli(['manifest', file, '--blocks', '--block-size', '64K'])).code).toBe(0);
    const h = await open(file, 'r');
    const [, second] = await indexPlainTar(h, (await h.stat()).size);
    await h.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('damage'), 0, 6, second!.dataOffset + 50);
    closeSync(fd);
    const run = await runCli(['verify', file, '--json']);
    expect(run.code).toBe(1);
    const [r] = parseJsonOutput(run).results;
    expect(r!.regions).toHaveLength(1);
    expect(r!.regions[0].members).toContain(names[1]);
    expect((await runCli(['verify', file])).stdout).toContain(`in ${r!.regions[0].members.join(', ')}`);
  });
});
