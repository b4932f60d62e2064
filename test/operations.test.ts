import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanFolders } from '../src/core/inventory/inventory.js';
import { updateResultsFile } from '../src/core/manifest/results-file.js';
import { Ledger } from '../src/core/schedule/ledger.js';
import { withLock } from '../src/core/schedule/state-lock.js';
import { stateOf } from '../src/core/schedule/strength.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { bytes, tempDir } from './helpers/fixtures.js';
import { runTool } from './helpers/tools.js';

/** An HTTP receiver on loopback that answers 503 to the first `failFirst` requests. */
function receiver(failFirst = 0) {
  const got: { path: string; body: any }[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.statusCode = 503;
        return res.end('down');
      }
      got.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.end('ok');
    });
  });
  const ready = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
  return { got, ready, close: () => new Promise<void>((r) => server.close(() => r())), failMore: (n: number) => (failures = n) };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A folder with one backup and its manifest. */
async function oneBackup(name = 'site.tar.gz') {
  const dir = tempDir();
  const file = join(dir, name);
  writeFileSync(file, bytes(name, 300_000));
  expect((await runCli(['manifest', file])).code).toBe(0);
  return { dir, file };
}

function flip(file: string, at = 1000): void {
  const data = readFileSync(file);
  data[at] = data[at]! ^ 0xff;
  writeFileSync(file, data);
}

describe('one state per backup', () => {
  it('the state is the worst finding a check as strong has not cleared', () => {
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
    // hash found damage, a later quick check passed: still failing.
    expect(stateOf({ hash: { at: at(0), status: 'hash_mismatch' }, quick: { at: at(5), status: 'verified' } })).toMatchObject({ status: 'hash_mismatch', failing: true, check: 'hash', latest: { check: 'quick' } });
    // a later pass of a check of its kind as strong (blocks) clears it.
    expect(stateOf({ hash: { at: at(0), status: 'hash_mismatch' }, blocks: { at: at(5), status: 'verified' } })).toMatchObject({ failing: false, status: 'verified' });
    // reading the archive to its end does not: it may be an archive other than the one the manifest describes;
    expect(stateOf({ hash: { at: at(0), status: 'hash_mismatch' }, deep: { at: at(5), status: 'verified' } })).toMatchObject({ failing: true, status: 'hash_mismatch' });
    // nor do bytes that match the manifest clear a damaged archive (it may have been damaged before the manifest was written).
    expect(stateOf({ deep: { at: at(0), status: 'archive_damaged' }, hash: { at: at(5), status: 'verified' } })).toMatchObject({ failing: true, status: 'archive_damaged' });
    expect(stateOf({ deep: { at: at(0), status: 'archive_damaged' }, restore: { at: at(5), status: 'verified' } })).toMatchObject({ failing: false });
    // a pass from before the failure clears nothing.
    expect(stateOf({ restore: { at: at(0), status: 'verified' }, hash: { at: at(5), status: 'hash_mismatch' } })).toMatchObject({ failing: true, status: 'hash_mismatch' });
    // a backup found missing is back as soon as any check finds it.
    expect(stateOf({ quick: { at: at(9), status: 'verified' }, hash: { at: at(0), status: 'missing' } })).toMatchObject({ failing: false });
    // a check that could not tell changes nothing.
    expect(stateOf({ hash: { at: at(0), status: 'hash_mismatch' }, deep: { at: at(5), status: 'error' } })).toMatchObject({ failing: true });
  });

  it('a hash mismatch found by the daily tier stays failing, alerted once, through hourly runs, until a hash check passes', async () => {
    const { dir, file } = await oneBackup();
    const state = tempDir();
    const hook = receiver();
    closers.push(hook.close);
    const url = `${await hook.ready}/hook`;
    const prom = join(state, 'restorable.prom');
    const scan = (tier: string) => runCli(['scan', dir, '--tier', tier, '--state-dir', state, '--webhook', url, '--json', '--metrics-file', prom]);
    const good = readFileSync(file);
    // Damage that keeps the size: only reading every byte finds it.
    flip(file);
    expect((await scan('daily')).code).toBe(1);
    for (let i = 0; i < 3; i++) {
      // The size matches, but the hourly run does not say "verified": it says the backup is still failing, and why.
      const hourly = await scan('hourly');
      expect(hourly.code).toBe(1);
      const [r] = parseJsonOutput(hourly).results;
      expect(r!.status).toBe('hash_mismatch');
      expect(r!.findings[0].message).toMatch(/^still hash mismatch: found by the hash check at \S+ .*; this check \(verified\) is not strong enough to clear it$/);
      const status = await runCli(['status', dir, '--state-dir', state, '--json']);
      expect(status.code).toBe(1);
      expect(parseJsonOutput(status).backups).toMatchObject([{ backup: file, state: { status: 'hash_mismatch', failing: true, check: 'hash', latest: { check: 'quick', status: 'verified' } } }]);
      // The inspector lists the same state; a newer "verified" in the folder's results file, a
      // check it cannot weigh, does not clear it either.
      expect((await scanFolders([dir], { stateDir: state })).backups[0]!.last).toMatchObject({ status: 'hash_mismatch', check: 'hash' });
      await updateResultsFile(dir, [{ file, checked_at: new Date().toISOString(), size: good.length, status: 'verified' }]);
      expect((await scanFolders([dir], { stateDir: state })).backups[0]!.last).toMatchObject({ status: 'hash_mismatch', check: 'hash' });
    }
    expect(hook.got.map((g) => g.body.text.split('\n')[0])).toEqual([`✗ backup site.tar.gz failed its hash check: hash mismatch`]);
    // The metrics say the same after an hourly run: one series naming the backup, for the alert rule.
    expect(readFileSync(prom, 'utf8')).toContain(`restorable_backup_failing{folder="${dir}",backup="site.tar.gz",status="hash_mismatch",acknowledged="false",tier="hourly"} 1`);
    expect(readFileSync(prom, 'utf8')).toMatch(/^restorable_backups_failing\{tier="hourly"\} 1$/m);
    // Repaired: the next hash check clears it, and that is alerted once.
    writeFileSync(file, good);
    expect((await scan('daily')).code).toBe(0);
    expect(hook.got).toHaveLength(2);
    expect(hook.got[1]!.body.text).toMatch(/^✓ backup site\.tar\.gz passes its hash check again/);
    expect((await runCli(['status', dir, '--state-dir', state])).code).toBe(0);
    expect((await scanFolders([dir], { stateDir: state })).backups[0]!.last).toMatchObject({ status: 'verified', check: 'hash' });
    expect(readFileSync(prom, 'utf8')).toContain(`restorable_backup_failing{folder="${dir}",backup="site.tar.gz",status="ok",acknowledged="false",tier="daily"} 0`);
    const history = parseJsonOutput(await runCli(['history', file, '--state-dir', state, '--json'])) as unknown as { history: { check: string; status: string }[] };
    expect(history.history.map((h) => `${h.check} ${h.status}`)).toEqual(['hash hash_mismatch', 'quick verified', 'quick verified', 'quick verified', 'hash verified']);
  });
});

describe('one state per copy', () => {
  it('a copy found corrupt by a full read stays failing through cheaper runs, until a read as strong passes', async () => {
    const { file } = await oneBackup();
    const offsite = tempDir();
    const copy = join(offsite, 'site.tar.gz');
    writeFileSync(copy, readFileSync(file));
    flip(copy, 200_000); // same size: only reading finds it
    const state = tempDir();
    const run = (...mode: string[]) => runCli(['locations', file, '--location', `offsite=${offsite}`, '--state-dir', state, '--json', ...mode]);
    expect((await run('--full')).code).toBe(1);
    const cheap = await run('--quick');
    expect(cheap.code).toBe(1);
    const offsiteResult = parseJsonOutput(cheap).results.find((r) => r.copy?.location === 'offsite')!;
    expect(offsiteResult.copy.evidence).toBe('size');
    expect(offsiteResult.findings[0].message).toMatch(/^still hash mismatch: found by the full check at \S+.*this check \(verified\) is not strong enough to clear it/);
    writeFileSync(copy, readFileSync(file));
    expect((await run('--quick')).code).toBe(1); // repaired, but a size check cannot know that
    expect((await run('--full')).code).toBe(0);
  });
});

describe('alerts as an outbox', () => {
  it('an alert a webhook refused (503) is delivered on the next run, with the time it was raised', async () => {
    const { dir, file } = await oneBackup();
    const state = tempDir();
    const hook = receiver(3); // down for this whole run: its 3 tries fail
    closers.push(hook.close);
    const url = `${await hook.ready}/hook`;
    flip(file);
    const first = await runCli(['scan', dir, '--tier', 'daily', '--state-dir', state, '--webhook', url]);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/alert not delivered: webhook http:\/\/127\.0\.0\.1:\d+\/…: HTTP 503 \(1 alert kept for the next run\)/);
    expect(hook.got).toHaveLength(0);
    const raised = JSON.parse(readFileSync(join(state, 'alerts.json'), 'utf8')).outbox[0].at;
    // Nothing changed since: the state says so, and the outbox still owes the alert.
    const second = await runCli(['scan', dir, '--tier', 'hourly', '--state-dir', state, '--webhook', url]);
    expect(second.stderr).not.toMatch(/not delivered/);
    expect(hook.got).toHaveLength(1);
    expect(hook.got[0]!.body.text).toContain(`raised ${raised}`);
    expect(hook.got[0]!.body.text).toMatch(/failed its hash check: hash mismatch/);
    expect(JSON.parse(readFileSync(join(state, 'alerts.json'), 'utf8')).outbox).toEqual([]);
    // And never again.
    await runCli(['scan', dir, '--tier', 'hourly', '--state-dir', state, '--webhook', url]);
    expect(hook.got).toHaveLength(1);
  });

  it('a backup that vanished is missing: one alert, exit 1, counted in status; ack is recorded and sent to PagerDuty', async () => {
    const { dir, file } = await oneBackup();
    const state = tempDir();
    const hook = receiver();
    closers.push(hook.close);
    const base = await hook.ready;
    const args = ['--state-dir', state, '--webhook', `${base}/hook`, '--pagerduty-key', 'KEY', '--pagerduty-url', `${base}/pd`];
    expect((await runCli(['scan', dir, '--tier', 'daily', ...args])).code).toBe(0);
    rmSync(file);
    for (let i = 0; i < 2; i++) {
      const run = await runCli(['scan', dir, '--tier', 'hourly', ...args, '--json']);
      expect(run.code).toBe(1);
      expect(parseJsonOutput(run).results).toMatchObject([{ file, status: 'missing' }]);
    }
    const pd = () => hook.got.filter((g) => g.path === '/pd').map((g) => g.body.event_action);
    expect(hook.got.filter((g) => g.path === '/hook').map((g) => g.body.text.split('\n')[0])).toEqual(['✗ backup site.tar.gz failed its quick check: missing']);
    expect(pd()).toEqual(['trigger']);

    const ack = await runCli(['ack', file, '--comment', 'restoring it from the offsite copy', '--until', '24h', ...args]);
    expect(ack.code, ack.stderr).toBe(0);
    expect(pd()).toEqual(['trigger', 'acknowledge']);
    const status = await runCli(['status', dir, '--state-dir', state]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/✗ missing · by quick at/);
    expect(status.stdout).toMatch(/acknowledged at \S+ by \S+ until \S+: restoring it from the offsite copy/);
    // The ack silences nothing new: the next run sends nothing at all.
    await runCli(['scan', dir, '--tier', 'hourly', ...args]);
    expect(hook.got).toHaveLength(3);
  });

  it('a storage location that cannot be read is alerted once, as its own kind (not damage), and resolved when it can be read again', async () => {
    const { file } = await oneBackup();
    const offsite = tempDir();
    writeFileSync(join(offsite, 'site.tar.gz'), readFileSync(file));
    const state = tempDir();
    const hook = receiver();
    closers.push(hook.close);
    const url = `${await hook.ready}/hook`;
    const prom = join(state, 'locations.prom');
    // As a user without privileges: root reads a folder of mode 000 anyway.
    const as = process.getuid?.() === 0 ? ['unshare', '--user'] : [];
    const run = () => runCli(['locations', file, '--location', `offsite=${offsite}`, '--state-dir', state, '--webhook', url, '--metrics-file', prom], { as });
    chmodSync(offsite, 0o000);
    try {
      for (let i = 0; i < 2; i++) expect((await run()).code).toBe(2); // could not check, never "damaged"
      expect(readFileSync(prom, 'utf8')).toMatch(/^restorable_location_up\{location="offsite"\} 0$/m);
    } finally {
      chmodSync(offsite, 0o755);
    }
    expect((await run()).code).toBe(0);
    expect(readFileSync(prom, 'utf8')).toMatch(/^restorable_location_up\{location="offsite"\} 1$/m);
    const titles = hook.got.map((g) => g.body.text.split('\n')[0]);
    expect(titles).toEqual(['! storage location offsite cannot be read', '✓ storage location offsite can be read again']);
  });

  it('ack of a backup that is not failing is refused (exit 2), naming it', async () => {
    const { file } = await oneBackup();
    const run = await runCli(['ack', file, '--state-dir', tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}: not failing as far as the alerts know; nothing to acknowledge`);
  });
});

describe('one writer at a time, nothing lost', () => {
  it('a lock left by a dead process is taken over once, and holders never overlap', async () => {
    const dir = tempDir();
    const lock = join(dir, 'x.lock');
    // A lock of a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max).
    writeFileSync(lock, JSON.stringify({ host: (await import('node:os')).hostname(), pid: 4_194_305, start: '1' }));
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withLock(lock, async () => {
          most = Math.max(most, ++inside);
          const n = Number(readFileSync(counter, 'utf8'));
          await new Promise((r) => setImmediate(r));
          writeFileSync(counter, String(n + 1));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(readFileSync(counter, 'utf8')).toBe('20');
  });

  it('a ledger saved again keeps what another writer saved in between (and rereads only then)', async () => {
    const state = tempDir();
    const a = await Ledger.open(state);
    const b = await Ledger.open(state);
    const rec = { status: 'verified', size: 1, mtimeMs: 0 };
    a.record('/b/one', 'hash', rec);
    await a.save();
    b.record('/b/two', 'hash', rec);
    await b.save();
    a.record('/b/three', 'hash', rec);
    await a.save();
    a.record('/b/four', 'quick', rec);
    await a.save();
    const all = (await Ledger.open(state)).all().map(([file]) => file).sort();
    expect(all).toEqual(['/b/four', '/b/one', '/b/three', '/b/two']);
  });

  it('scan and locations started together never drop each other\'s records', async () => {
    const { dir, file } = await oneBackup();
    const offsite = tempDir();
    mkdirSync(offsite, { recursive: true });
    writeFileSync(join(offsite, 'site.tar.gz'), readFileSync(file));
    const state = tempDir();
    const rounds = 20;
    for (let i = 0; i < rounds; i++) {
      const [scan, copies] = await Promise.all([
        runCli(['scan', dir, '--tier', 'daily', '--state-dir', state]),
        runCli(['locations', file, '--location', `offsite=${offsite}`, '--state-dir', state, '--full']),
      ]);
      expect(scan.code, scan.stderr).toBe(0);
      expect(copies.code, copies.stderr).toBe(0);
    }
    const ledger = JSON.parse(readFileSync(join(state, 'ledger.json'), 'utf8'));
    expect(ledger.history[file].filter((h: { check: string }) => h.check === 'hash')).toHaveLength(rounds);
    expect(ledger.history['offsite:site.tar.gz'] ?? ledger.history[`offsite:${file}`]).toHaveLength(rounds);
  });
});

describe('deploys that work as shipped', () => {
  it('a read-only backup folder: the results file and an unwritable metrics file are warnings; the alert goes out and the exit code says what was found', async () => {
    const { dir, file } = await oneBackup();
    flip(file);
    const state = tempDir();
    const hook = receiver();
    closers.push(hook.close);
    const url = `${await hook.ready}/hook`;
    chmodSync(dir, 0o555);
    chmodSync(file, 0o444);
    try {
      // As a user without privileges (root ignores file modes), as the CronJob's container runs.
      const as = process.getuid?.() === 0 ? ['unshare', '--user'] : [];
      const run = await runCli(['scan', dir, '--tier', 'daily', '--state-dir', state, '--webhook', url, '--results-file', '--metrics-file', join(state, 'missing-folder', 'restorable.prom')], { as });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/restorable: warning: the results file was not written: .*\.integrity_results\.json: permission denied/);
      expect(run.stderr).toMatch(/restorable: warning: the metrics file was not written: .*restorable\.prom: no such file or directory/);
      expect(hook.got).toHaveLength(1);
      expect(hook.got[0]!.body.text).toMatch(/failed its hash check: hash mismatch/);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});

describe('receipts for auditors', () => {
  it('scan --receipt --sign writes a receipt minisign -V accepts, and one edited afterwards is tampered for minisign and for receipt verify', async () => {
    const { dir, file } = await oneBackup();
    const keys = tempDir();
    expect((await runCli(['keygen', '--out', join(keys, 'audit')])).code).toBe(0);
    const receipt = join(keys, 'receipt.json');
    flip(file);
    const run = await runCli(['scan', dir, '--tier', 'daily', '--state-dir', tempDir(), '--receipt', receipt, '--sign', join(keys, 'audit')]);
    expect(run.code).toBe(1);
    const r = JSON.parse(readFileSync(receipt, 'utf8'));
    expect(r).toMatchObject({ format: 'restorable-receipt/1', exit_code: 1, summary: { hash_mismatch: 1 }, checks: [{ backup: file, check: 'hash', status: 'hash_mismatch', bytes: 300_000 }] });
    expect(r.checks[0].problem).toMatch(/sha256 mismatch/);
    expect(runTool('minisign', ['-Vm', receipt, '-p', join(keys, 'audit.pub')]).status).toBe(0);
    const verified = await runCli(['receipt', 'verify', receipt, '--trust', join(keys, 'audit.pub')]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/1 checked: 1 hash mismatch/);

    writeFileSync(receipt, readFileSync(receipt, 'utf8').replace('"exit_code": 1', '"exit_code": 0'));
    expect(runTool('minisign', ['-Vm', receipt, '-p', join(keys, 'audit.pub')]).status).not.toBe(0);
    const forged = await runCli(['receipt', 'verify', receipt, '--trust', join(keys, 'audit.pub')]);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toMatch(/^✗ tampered .*modified since it was signed/);
  });

  it('locations --receipt says on what evidence each copy was judged, and how much of it was read', async () => {
    const { file } = await oneBackup();
    const offsite = tempDir();
    writeFileSync(join(offsite, 'site.tar.gz'), readFileSync(file));
    const receipt = join(tempDir(), 'copies.json');
    const run = await runCli(['locations', file, '--location', `offsite=${offsite}`, '--state-dir', tempDir(), '--full', '--receipt', receipt]);
    expect(run.code).toBe(0);
    const r = JSON.parse(readFileSync(receipt, 'utf8'));
    expect(r.checks).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'locations', location: 'offsite', evidence: 'full', coverage: 1, status: 'verified' })]));
  });
});
