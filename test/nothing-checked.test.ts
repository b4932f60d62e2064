import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, digest, tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';

/** A verdict is a claim: where nothing vouched for any bytes, nothing is "verified" and the exit code says so. */

describe('nothing found is never a pass', () => {
  for (const command of ['verify', 'blocks', 'scan'] as const) {
    it(`${command} on an empty folder: "0 backups found", exit 2, in text and JSON`, async () => {
      const dir = tempDir();
      const extra = command === 'scan' ? ['--state-dir', tempDir()] : [];
      const text = await runCli([command, dir, ...extra]);
      expect(text.code).toBe(2);
      expect(text.stdout).toMatch(new RegExp(`0 backups found in ${dir}.*: nothing was checked`));
      expect(text.stdout).not.toMatch(/verified|intact/);
      const json = await runCli([command, dir, ...extra, '--json']);
      expect(json.code).toBe(2);
      const doc = parseJsonOutput(json);
      expect(doc.ok).toBe(false);
      expect(doc.results).toEqual([]);
      expect(doc.error).toMatch(/0 backups found/);
    });
  }

  it('a mistyped or unmounted path is an error naming it, exit 2', async () => {
    const missing = join(tempDir(), 'backups-typo');
    const run = await runCli(['verify', missing]);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toContain(`${missing}: no such file or directory`);
  });

  it('a scan whose tier picks none of the backups says so (exit 2)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'old.tar'), bytes('old', 1000));
    const config = join(tempDir(), 'c.json');
    writeFileSync(config, JSON.stringify({ tiers: { recent: { check: 'hash', younger_than_days: 1 } } }));
    const { utimesSync } = await import('node:fs');
    utimesSync(join(dir, 'old.tar'), new Date(0), new Date(0));
    const run = await runCli(['scan', dir, '--tier', 'recent', '--config', config, '--state-dir', tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/0 of 1 backups chosen by tier recent/);
  });
});

describe('a zero-byte backup is never verified', () => {
  it('even when its manifest describes an empty file (exit 1, empty), with and without --quick', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'db.sql.gz'), '');
    writeFileSync(join(dir, 'db.sql.gz.manifest.json'), JSON.stringify({ backup_file: 'db.sql.gz', created_at: '2026-11-30T02:00:00Z', file_size: 0, hashes: { sha256: digest('sha256', Buffer.alloc(0)) } }));
    for (const quick of [[], ['--quick']]) {
      const run = await runCli(['verify', join(dir, 'db.sql.gz'), ...quick, '--json']);
      expect(run.code).toBe(1);
      const [r] = parseJsonOutput(run).results;
      expect(r!.status).toBe('empty');
      expect(r!.findings[0].message).toMatch(/is empty \(0 bytes\): there is nothing to restore/);
    }
  });
});

describe('locations --quick', () => {
  it('a backup with no manifest is no_manifest (exit 2), as without --quick', async () => {
    const dir = tempDir();
    const copies = join(dir, 'copies');
    mkdirSync(copies);
    writeFileSync(join(dir, 'site.tar'), bytes('site', 5000));
    writeFileSync(join(copies, 'site.tar'), bytes('site', 5000));
    for (const quick of [['--quick'], []]) {
      const run = await runCli(['locations', join(dir, 'site.tar'), '--location', `spare=${copies}`, '--state-dir', tempDir(), ...quick, '--json']);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(parseJsonOutput(run).results.map((r) => r.status)).toEqual(['no_manifest', 'no_manifest']);
    }
  });
});
