import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTool } from './helpers/tools.js';
import { parseJsonOutput, runCli, signalWhen } from './helpers/run-cli.js';
import { bytes, tempDir } from './helpers/fixtures.js';

/** A real tar.gz made by GNU tar from a small tree. */
function archive(dir: string): string {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'www/img'), { recursive: true });
  writeFileSync(join(src, 'www/index.html'), '<h1>shop</h1>');
  writeFileSync(join(src, 'www/img/logo.png'), bytes('logo', 300_000));
  writeFileSync(join(src, 'www/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  const file = join(dir, 'www.tar.gz');
  execFileSync('tar', ['-czf', file, '-C', src, 'www']);
  return file;
}

describe('restore-test', () => {
  it('restores into a temp folder, checks every file against the listing, reports time and throughput, and removes the folder', async () => {
    const dir = tempDir();
    const file = archive(dir);
    const temps = tempDir('restorable-temps-');
    const run = await runCli(['restore-test', file, '--temp-dir', temps, '--json']);
    expect(run.code).toBe(0);
    const [r] = parseJsonOutput(run).results;
    expect(r!.status).toBe('verified');
    expect(r!.restore).toMatchObject({ kept: false, restoredFiles: 3, restoredBytes: 300_000 + 13 + 10, mismatches: 0 });
    expect(r!.restore.seconds).toBeGreaterThan(0);
    expect(r!.restore.bytesPerSec).toBeGreaterThan(0);
    expect(readdirSync(temps)).toEqual([]);
  });

  it('--target keeps the restored tree, byte for byte and mode for mode as tar would restore it', async () => {
    const dir = tempDir();
    const file = archive(dir);
    const target = join(dir, 'restored');
    const run = await runCli(['restore-test', file, '--target', target]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/restored 3 files, .* into /);
    expect(readFileSync(join(target, 'www/img/logo.png')).equals(readFileSync(join(dir, 'src/www/img/logo.png')))).toBe(true);
    expect(execSync(`stat -c %a ${join(target, 'www/run.sh')}`, { encoding: 'utf8' }).trim()).toBe('755');
    const again = await runCli(['restore-test', file, '--target', target]);
    expect(again.code).toBe(2);
    expect(again.stdout + again.stderr).toContain('not empty; a restore test needs an empty or new folder');
  });

  it('a damaged archive fails the restore and says where it stopped; the temp folder is still removed', async () => {
    const dir = tempDir();
    const file = archive(dir);
    const data = readFileSync(file);
    data.fill(0x77, 2000, 2100);
    writeFileSync(file, data);
    const temps = tempDir('restorable-temps-');
    const run = await runCli(['restore-test', file, '--temp-dir', temps, '--json']);
    expect(run.code).toBe(1);
    const [r] = parseJsonOutput(run).results;
    expect(r!.status).toBe('archive_damaged');
    // The bytes decode (wrongly) to the end: gzip's CRC is what finds the damage, as `gzip -t` does.
    expect(r!.findings[0].message).toMatch(/^the gzip stream fails its CRC check: the data is damaged somewhere before byte \d+ of the file/);
    expect(runTool('gzip', ['-t', file]).status).toBe(1);
    expect(readdirSync(temps)).toEqual([]);
  });

  it('refuses a dump, which needs a database to restore, with exit 2', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'db.sql'), '-- MySQL dump\n');
    const run = await runCli(['restore-test', join(dir, 'db.sql')]);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toContain('a restore test needs a tar archive');
  });
});

describe('interruption of deep checks and restore tests', () => {
  for (const command of ['deep', 'restore-test']) {
    it(`${command}: SIGTERM and Ctrl-C exit 130 and leave no temp folder`, async () => {
      const dir = tempDir();
      // Big enough to take seconds: 400 MiB of zeros, compressed small.
      execSync(`head -c 419430400 /dev/zero > ${join(dir, 'zero.img')} && tar -czf ${join(dir, 'big.tar.gz')} -C ${dir} zero.img && rm ${join(dir, 'zero.img')}`);
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const temps = tempDir('restorable-temps-');
        // Signal it as soon as its sandbox exists: it is then in the middle of extracting.
        const run = await runCli([command, join(dir, 'big.tar.gz'), '--temp-dir', temps], {
          onSpawn: signalWhen(() => readdirSync(temps).length > 0, signal),
        });
        expect(run.code, `${command} ${signal}: ${run.stdout}${run.stderr}`).toBe(130);
        expect(readdirSync(temps)).toEqual([]);
      }
    });
  }
});
