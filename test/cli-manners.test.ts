import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, tempDir } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

describe('command line manners', () => {
  it('a mistyped command is named, with the command meant (exit 2); a missing path is exit 2, never "0 backups"', async () => {
    const cwd = tempDir();
    for (const [typed, meant] of [['vrify', 'verify'], ['sacn', 'scan'], ['locaitons', 'locations'], ['manfest', 'manifest']]) {
      const run = await runCli([typed!], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`restorable: unknown command '${typed}' (did you mean ${meant}?)\n`);
      expect(run.stdout).toBe('');
    }
    const missing = await runCli(['no-such-folder-here'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('restorable: no-such-folder-here: no such file or folder\n');
    // A folder named like a command is a folder.
    mkdirSync(join(cwd, 'sacn'));
    const folder = await runCli(['sacn'], { cwd });
    expect(folder.code).toBe(0);
    expect(folder.stdout).toMatch(/^sacn: 0 backups$/m);
  });

  it('restorable FILE lists that backup alone (the inspector opens its detail)', async () => {
    const dir = tempDir();
    for (const n of ['a-20261101.tar.gz', 'b-20261101.tar.gz']) writeFileSync(join(dir, n), bytes(n, 1000));
    const run = await runCli([join(dir, 'b-20261101.tar.gz')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/: 1 backup\n/);
    expect(run.stdout).toContain('b-20261101.tar.gz');
    expect(run.stdout).not.toContain('a-20261101.tar.gz');
  });

  it('--block-size is bounded: 4 KiB to 1 GiB', async () => {
    const dir = tempDir();
    const file = join(dir, 'db.img');
    writeFileSync(file, bytes('db', 100_000));
    for (const size of ['1k', '4095', '2GiB']) {
      const run = await runCli(['manifest', '--block-size', size, file]);
      expect(run.code, size).toBe(2);
      expect(run.stderr).toMatch(/a block size from 4KiB to 1GiB/);
    }
    expect((await runCli(['manifest', '--block-size', '4KiB', file])).code).toBe(0);
  });

  it('sizes and summaries read as a person would write them', async () => {
    const dir = tempDir();
    const file = join(dir, 'db.img');
    writeFileSync(file, bytes('db', 5_000_000));
    writeFileSync(join(dir, 'log.img'), bytes('log', 10_000));
    // Writing manifests checks nothing: the summary says they were created.
    const both = await runCli(['manifest', file, join(dir, 'log.img')]);
    expect(both.stdout).toMatch(/^✓ all created$/m);
    expect(both.stdout).not.toMatch(/intact/);
    // A size that matches is said as such: nothing read the bytes.
    const quick = await runCli(['verify', '--quick', dir]);
    expect(quick.code).toBe(0);
    expect(quick.stdout).toMatch(/^✓ size ok +.*db\.img/m);
    expect(quick.stdout).toMatch(/^✓ no damage found \(2 compared by size only: nothing read their bytes\)$/m);
    expect(quick.stdout).not.toMatch(/verified|intact/);
    // Ten bytes short of 4.77 MiB is still 4.77 MiB: the difference is named.
    writeFileSync(file, bytes('db', 5_000_000).subarray(0, 4_999_990));
    const short = await runCli(['verify', file]);
    expect(short.code).toBe(1);
    expect(short.stdout).toMatch(/^✗ size mismatch .*db\.img {2}4\.77 MiB of 4\.77 MiB expected \(10 bytes short\)$/m);
  });
});
