import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { MotoServer, S3_ENV } from './helpers/s3-server.js';

/**
 * Immutability evidence against moto's S3 Object Lock: every copy in a
 * location that should be immutable is held to its policy, read from the
 * same HEAD that sizes it. Dates are relative to now, so the test passes on
 * any day.
 */

const moto = new MotoServer();
const hooks: { text: string }[] = [];
let hookServer: Server;
let hookUrl = '';
beforeAll(async () => {
  await moto.start();
  hookServer = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      hooks.push({ text });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as { port: number }).port}/hook`;
});
afterAll(async () => {
  await new Promise<void>((r) => hookServer.close(() => r()));
  await moto.stop();
});

const DAY = 86_400_000;

describe('object lock', () => {
  it('reports, alerts on and exports each copy locked short of its location\'s policy; none of it is damage', async () => {
    const dir = tempDir();
    const backups = join(dir, 'backups');
    const env = { ...S3_ENV, XDG_STATE_HOME: join(dir, 'state') };
    await moto.bucket('vault', { objectLock: true });
    const copies: Record<string, Parameters<MotoServer['put']>[3]> = {
      'kept.tar': { lock: { mode: 'COMPLIANCE', until: new Date(Date.now() + 60 * DAY) } },
      'governed.tar': { lock: { mode: 'GOVERNANCE', until: new Date(Date.now() + 60 * DAY) } },
      'soon.tar': { lock: { mode: 'COMPLIANCE', until: new Date(Date.now() + 10 * DAY) } },
      'held.tar': { legalHold: true },
      'open.tar': {},
    };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(backups);
    for (const [name, opts] of Object.entries(copies)) {
      const body = bytes(name, 100_000);
      writeFileSync(join(backups, name), body);
      await moto.put('vault', name, body, opts);
    }
    expect((await runCli(['manifest', ...Object.keys(copies).map((n) => join(backups, n))], { env })).code).toBe(0);
    const config = join(dir, 'restorable.yaml');
    writeFileSync(config, `locations:\n  vault:\n    uri: "${moto.uri('vault')}"\n    object_lock: { mode: compliance, min_days: 30 }\n`);
    const prom = join(dir, 'locations.prom');
    const args = ['locations', backups, '--config', config, '--all', '--metrics-file', prom, '--webhook', hookUrl];

    const run = await runCli([...args, '--json'], { env });
    // Every copy's bytes are good: a lock that falls short is not damage.
    expect(run.code, run.stderr).toBe(0);
    const vault: Record<string, any> = Object.fromEntries(parseJsonOutput(run).results.filter((r) => r.copy.location === 'vault').map((r) => [r.copy.backup, r]));
    expect(Object.values(vault).every((r) => r.status === 'verified')).toBe(true);
    expect(vault['kept.tar'].copy.lock).toMatchObject({ mode: 'COMPLIANCE', legalHold: false });
    expect(vault['kept.tar'].copy.lock.problem).toBeUndefined();
    expect(vault['kept.tar'].copy.lock.daysLeft).toBeGreaterThanOrEqual(59);
    expect(vault['governed.tar'].copy.lock.problem).toBe('locked in governance mode: anyone with s3:BypassGovernanceRetention can delete it (compliance mode required)');
    expect(vault['soon.tar'].copy.lock.problem).toMatch(/^its compliance retention ends on \d{4}-\d\d-\d\d, in (9|10) days \(at least 30 required\)$/);
    expect(vault['held.tar'].copy.lock.problem).toMatch(/^under a legal hold only/);
    expect(vault['open.tar'].copy.lock.problem).toBe('not locked: it can be deleted or overwritten (compliance mode, at least 30 days required)');

    // The text report names each shortfall under its copy.
    const text = await runCli(args, { env });
    expect(text.stdout).toMatch(/open\.tar.*\n\s+! object lock: not locked/);
    // Exported per copy.
    const metrics = readFileSync(prom, 'utf8');
    expect(metrics).toContain('restorable_copy_lock_ok{backup="kept.tar",location="vault"} 1');
    for (const name of ['governed.tar', 'soon.tar', 'held.tar', 'open.tar']) expect(metrics).toContain(`restorable_copy_lock_ok{backup="${name}",location="vault"} 0`);
    // Alerted once, on the first run: four copies short of the policy, and not again on the second.
    const alerts = hooks.map((h) => h.text).join('\n');
    for (const name of ['governed.tar', 'soon.tar', 'held.tar', 'open.tar']) expect(alerts).toContain(name);
    expect(alerts).not.toContain('kept.tar');
    expect(hooks).toHaveLength(1);
  });

  it('a policy on a folder is refused, naming the field', async () => {
    const dir = tempDir();
    const config = join(dir, 'restorable.yaml');
    writeFileSync(config, `locations:\n  here:\n    uri: "${dir}"\n    object_lock: { min_days: 30 }\n`);
    const run = await runCli(['locations', dir, '--config', config], { env: { ...S3_ENV, XDG_STATE_HOME: join(dir, 'state') } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('locations.here.object_lock: applies to buckets only');
  });
});
