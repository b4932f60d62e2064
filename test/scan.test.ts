import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli, signalWhen } from './helpers/run-cli.js';
import { bytes, tempDir } from './helpers/fixtures.js';

/** A folder of backups, each with a manifest, dated one day apart. */
async function folder(count: number): Promise<string> {
  const dir = tempDir();
  for (let i = 0; i < count; i++) {
    const file = join(dir, `srv-${String(i).padStart(2, '0')}.tar.gz`);
    writeFileSync(file, bytes(`b${i}`, 10_000 + i));
    const when = new Date(Date.now() - i * 86_400_000);
    utimesSync(file, when, when);
  }
  const files = Array.from({ length: count }, (_, i) => join(dir, `srv-${String(i).padStart(2, '0')}.tar.gz`));
  expect((await runCli(['manifest', ...files])).code).toBe(0);
  return dir;
}

const checked = (run: { stdout: string }) => parseJsonOutput(run as never).results.map((r) => r.file.split('/').pop());

describe('restorable scan', () => {
  it('daily tier: hashes the backups of the last 7 days and records them in the ledger', async () => {
    const dir = await folder(10);
    const state = tempDir();
    const run = await runCli(['scan', dir, '--tier', 'daily', '--state-dir', state, '--json']);
    expect(run.code).toBe(0);
    expect(checked(run).sort()).toEqual(['srv-00.tar.gz', 'srv-01.tar.gz', 'srv-02.tar.gz', 'srv-03.tar.gz', 'srv-04.tar.gz', 'srv-05.tar.gz', 'srv-06.tar.gz']);
    const ledger = JSON.parse(readFileSync(join(state, 'ledger.json'), 'utf8'));
    expect(ledger.backups[join(dir, 'srv-00.tar.gz')].hash.status).toBe('verified');
  });

  it('repeated budgeted runs check the stalest first and reach every backup', async () => {
    const dir = await folder(9);
    const state = tempDir();
    const seen = new Set<string>();
    const config = join(state, 'tiers.yaml');
    writeFileSync(config, 'tiers:\n  everything:\n    check: hash\n');
    for (let run = 0; run < 3; run++) {
      const r = await runCli(['scan', dir, '--tier', 'everything', '--config', config, '--state-dir', state, '--max-bytes', '30KiB', '--json']);
      expect(r.code).toBe(0);
      const names = checked(r);
      expect(names.length).toBe(3); // 3 x ~10 KB fit the budget
      for (const n of names) {
        expect(seen.has(n!), `${n} checked twice before all were checked once`).toBe(false);
        seen.add(n!);
      }
    }
    expect(seen.size).toBe(9);
  });

  it('--shard I/N splits the backups between runners without overlap', async () => {
    const dir = await folder(12);
    const parts = [];
    for (const shard of ['1/3', '2/3', '3/3']) {
      const r = await runCli(['scan', dir, '--tier', 'weekly', '--config', writeConfig(), '--shard', shard, '--state-dir', tempDir(), '--json']);
      parts.push(checked(r));
    }
    const all = parts.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(12);
  });

  it('--create-missing writes a manifest for a backup that has none; without it the backup is reported', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'new.tar.gz'), bytes('new', 5000));
    const state = tempDir();
    const without = await runCli(['scan', dir, '--tier', 'daily', '--state-dir', state, '--json']);
    expect(without.code).toBe(2);
    expect(parseJsonOutput(without).results[0]!.status).toBe('no_manifest');
    const created = await runCli(['scan', dir, '--tier', 'daily', '--state-dir', state, '--create-missing', '--results-file', '--json']);
    expect(created.code).toBe(0);
    expect(parseJsonOutput(created).results[0]!.status).toBe('manifest_created');
    const results = JSON.parse(readFileSync(join(dir, '.integrity_results.json'), 'utf8'));
    expect(results.results[0]).toMatchObject({ file: 'new.tar.gz', status: 'manifest_created', size: 5000 });
    expect((await runCli(['scan', dir, '--tier', 'daily', '--state-dir', state])).code).toBe(0);
  });

  it('refuses a second scan on the same state folder while one runs, and reports bad configs by file and field', async () => {
    const state = tempDir();
    writeFileSync(join(state, 'scan.lock'), String(process.pid)); // this test process: alive
    const locked = await runCli(['scan', tempDir(), '--state-dir', state]);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toContain('another scan is running');
    const bad = join(tempDir(), 'bad.yaml');
    writeFileSync(bad, 'tiers:\n  nightly:\n    check: fast\n');
    const run = await runCli(['scan', tempDir(), '--config', bad, '--state-dir', tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.yaml: tiers\.nightly\.check: /);
  });
});

describe('the ledger in the inspector', () => {
  it('the backup list shows the last outcome a scan recorded', async () => {
    const dir = await folder(2);
    writeFileSync(join(dir, 'srv-01.tar.gz'), bytes('changed', 10_001));
    const state = tempDir();
    const env = { XDG_STATE_HOME: state };
    const before = await runCli([dir], { env });
    expect(before.stdout).toMatch(/· unverified +srv-00\.tar\.gz/);
    expect((await runCli(['scan', dir, '--tier', 'daily'], { env })).code).toBe(1);
    const after = await runCli([dir], { env });
    expect(after.stdout).toMatch(/✓ verified \(\d+s ago\) +srv-00\.tar\.gz/);
    expect(after.stdout).toMatch(/✗ hash mismatch \(\d+s ago\) +srv-01\.tar\.gz/);
  });
});

function writeConfig(): string {
  const file = join(tempDir(), 'all.json');
  writeFileSync(file, JSON.stringify({ tiers: { weekly: { check: 'quick' } } }));
  return file;
}

describe('restorable watch', () => {
  it('scans now and every interval, one scan at a time, and stops cleanly on SIGTERM', async () => {
    const dir = await folder(3);
    const state = tempDir();
    const run = await runCli(['watch', dir, '--tier', 'daily', '--interval', '1s', '--state-dir', state], {
      // stopped once a second scan has ended: it scanned again after --interval
      onSpawn: signalWhen((p) => (p.stderr().match(/scan ended with exit code/g) ?? []).length >= 2, 'SIGTERM'),
    });
    expect(run.code).toBe(0);
    const rounds = run.stderr.match(/restorable watch: scan ended with exit code 0/g) ?? [];
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(run.stderr).toMatch(/restorable watch: stopped\n$/);
    expect(JSON.parse(readFileSync(join(state, 'ledger.json'), 'utf8')).backups[join(dir, 'srv-00.tar.gz')].hash.status).toBe('verified');
  });
});
