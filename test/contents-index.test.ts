import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexPlainTar } from '../src/core/archive/tar-index.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { bytes, tempDir } from './helpers/fixtures.js';

function tree(dir: string): { src: string; names: string[] } {
  const src = join(dir, 'src');
  const deep = `${'long-folder-name-for-a-pax-header/'.repeat(4)}x`;
  mkdirSync(join(src, deep), { recursive: true });
  const names = ['one.bin', `${deep}/two.bin`, 'three.txt', 'four.bin'];
  names.forEach((n, i) => writeFileSync(join(src, n), i === 2 ? 'text\n'.repeat(50_000) : bytes(n, 200_000 + i)));
  return { src, names };
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('content index (manifest --contents)', () => {
  it('lists every member with its exact offset and sha256, for tar and tar.gz alike', async () => {
    const dir = tempDir();
    const { src, names } = tree(dir);
    const plain = join(dir, 'a.tar');
    execFileSync('tar', ['--format=pax', '-cf', plain, '-C', src, ...names]);
    execFileSync('gzip', ['-k', plain]);
    expect((await runCli(['manifest', plain, `${plain}.gz`, '--contents'])).code).toBe(0);
    const h = await open(plain, 'r');
    const extents = await indexPlainTar(h, (await h.stat()).size);
    await h.close();
    for (const file of [plain, `${plain}.gz`]) {
      const index = JSON.parse(readFileSync(`${file}.contents.json`, 'utf8'));
      expect(index.members.map((m: { path: string }) => m.path)).toEqual(names);
      expect(index.members.map((m: { offset: number }) => m.offset)).toEqual(extents.map((e) => e.dataOffset));
      index.members.forEach((m: { path: string; sha256: string }) => expect(m.sha256).toBe(sha(readFileSync(join(src, m.path)))));
    }
  });

  it('records restart points in a .tar.gz index, and leaves them out on request (--no-restart-points)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'numbers.txt'), Array.from({ length: 600_000 }, (_, i) => `${i * 7919}`).join('\n'));
    const file = join(dir, 'c.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', join(dir, 'src'), 'numbers.txt']);
    expect((await runCli(['manifest', file, '--contents'])).code).toBe(0);
    const withPoints = JSON.parse(readFileSync(`${file}.contents.json`, 'utf8'));
    expect(withPoints.restart_points.length).toBeGreaterThan(0);
    expect((await runCli(['manifest', file, '--contents', '--no-restart-points', '--force'])).code).toBe(0);
    const without = JSON.parse(readFileSync(`${file}.contents.json`, 'utf8'));
    expect(without.restart_points).toBeUndefined();
    expect(without.members).toEqual(withPoints.members);
  });

  it('names the members a damaged region of a tar.gz spoils, and the restore test checks content against it', async () => {
    const dir = tempDir();
    const { src, names } = tree(dir);
    const file = join(dir, 'b.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', src, ...names]);
    expect((await runCli(['manifest', file, '--blocks', '--block-size', '64K', '--contents'])).code).toBe(0);
    const restored = await runCli(['restore-test', file, '--json']);
    expect(restored.code).toBe(0);
    expect(parseJsonOutput(restored).results[0]!.findings).toEqual([{ severity: 'info', message: `${names.length} files match the content index (size and sha256)` }]);

    // A content index that disagrees with one file: the restore test says which.
    const index = JSON.parse(readFileSync(`${file}.contents.json`, 'utf8'));
    const original = readFileSync(`${file}.contents.json`, 'utf8');
    index.members[2].sha256 = '0'.repeat(64);
    writeFileSync(`${file}.contents.json`, JSON.stringify(index));
    const differs = await runCli(['restore-test', file, '--json']);
    expect(differs.code).toBe(1);
    expect(parseJsonOutput(differs).results[0]!.findings[0].message).toBe('three.txt: its content differs from the content index (sha256)');
    writeFileSync(`${file}.contents.json`, original);

    // Damage late in the file: the stream still decompresses to its end and fails its CRC; hashing every
    // member against the index names exactly the one that differs (GNU tar only says "crc error").
    const size = readFileSync(file).length;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(16, 0x5a), 0, 16, size - 3000);
    closeSync(fd);
    const run = await runCli(['verify', file, '--json']);
    expect(run.code).toBe(1);
    const [r] = parseJsonOutput(run).results;
    expect(r!.regions[0].members).toEqual([names[3]]);
    expect(r!.regions[0].affectedMembers).toBeUndefined();
    // deep and restore-test name the same member, for the same damage.
    for (const command of ['deep', 'restore-test']) {
      const other = await runCli([command, file, '--json']);
      expect(other.code).toBe(1);
      const [o] = parseJsonOutput(other).results;
      expect(o!.status).toBe('archive_damaged');
      expect(o!.archive.damagedMembers).toEqual([names[3]]);
      expect(o!.findings.map((f: { message: string }) => f.message)).toContain(`${names[3]}: its content differs from the content index (sha256)`);
      expect(o!.findings[0].message).toMatch(/^the gzip stream fails its CRC check: .*names 1 damaged member \(below\) and proves 3 files intact/);
    }
  });

  it('a malformed content index is named, and never stops the verification', async () => {
    const dir = tempDir();
    const { src, names } = tree(dir);
    const file = join(dir, 'c.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', src, ...names]);
    expect((await runCli(['manifest', file, '--blocks', '--block-size', '64K'])).code).toBe(0);
    writeFileSync(`${file}.contents.json`, '{"file": 1}');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(16, 0x5a), 0, 16, 5000);
    closeSync(fd);
    const run = await runCli(['verify', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/! cannot name the damaged members: .*c\.tar\.gz\.contents\.json: file: /);
  });
});
