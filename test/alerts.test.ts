import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dedupKey } from '../src/core/report/alerts.js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/fixtures.js';

/** A real HTTP receiver on loopback, recording what it is sent; `failFirst` answers 503 that many times. */
function receiver(failFirst = 0) {
  const got: { path: string; body: any }[] = [];
  let failures = failFirst;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(503).end();
        return;
      }
      got.push({ path: req.url ?? '', body: JSON.parse(text) });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  const ready = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
  return { got, ready, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let demo: string;
let corrupted: string;
beforeAll(async () => {
  // Not tempDir(): that one is removed after each test, and this set serves them all.
  demo = join(mkdtempSync(join(tmpdir(), 'restorable-demo-')), 'demo');
  const set = JSON.parse((await runCli(['demo', demo, '--json'])).stdout) as { backups: { file: string; role: string }[] };
  corrupted = set.backups.find((b) => b.role === 'corrupted')!.file;
}, 60_000);
afterAll(() => rmSync(join(demo, '..'), { recursive: true, force: true }));

describe('email alerts through a real SMTP server', () => {
  it('sends one email over STARTTLS naming the backup and its regions, with the password kept out of the output', async () => {
    const { SMTPServer } = await import('smtp-server');
    // A certificate of our own, trusted by the CLI the way an operator would (NODE_EXTRA_CA_CERTS).
    const certs = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { stdio: 'ignore' });
    const mails: string[] = [];
    let encrypted = false;
    const server = new SMTPServer({
      secure: false, // plain at first: the client must upgrade with STARTTLS
      key: readFileSync(join(certs, 'key.pem')),
      cert: readFileSync(join(certs, 'cert.pem')),
      authOptional: false,
      onAuth: (auth, _session, cb) => (auth.username === 'ops' && auth.password === 'hunter2' ? cb(null, { user: 'ops' }) : cb(new Error('bad login'))),
      onData: (stream, session, cb) => {
        encrypted = session.secure;
        let text = '';
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('end', () => {
          mails.push(text);
          cb();
        });
      },
    });
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port)));
    try {
      const state = tempDir();
      const run = await runCli(['scan', demo, '--tier', 'daily', '--state-dir', state, '--smtp', `smtp://ops:hunter2@127.0.0.1:${port}`, '--mail-to', 'oncall@example.com', '--mail-from', 'backups@example.com'], {
        env: { NODE_EXTRA_CA_CERTS: join(certs, 'cert.pem') },
      });
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).not.toContain('hunter2');
      expect(run.stderr).not.toContain('alert not delivered');
      expect(mails).toHaveLength(1); // one email per scan
      expect(encrypted).toBe(true); // upgraded with STARTTLS before the password went over
      // The body as a mail reader shows it: quoted-printable soft line breaks joined, =XX decoded.
      const mail = Buffer.from(mails[0]!.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
      expect(mail).toMatch(/^Subject: restorable: 2 backups failing/m);
      expect(mail).toContain(corrupted);
      expect(mail).toMatch(/^To: oncall@example\.com/m);
      expect(mail).toContain('block 5 bytes 327680-393215');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

/** PagerDuty's Events API v2 request, as its documentation states it. */
const pagerdutyEvent = z
  .object({
    routing_key: z.string().min(1),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: z.string().max(255).optional(),
    payload: z
      .object({
        summary: z.string().min(1).max(1024),
        source: z.string().min(1),
        severity: z.enum(['critical', 'error', 'warning', 'info']),
        timestamp: z.string().datetime().optional(),
        component: z.string().optional(),
        group: z.string().optional(),
        class: z.string().optional(),
        custom_details: z.record(z.unknown()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((e) => e.event_action !== 'trigger' || e.payload, 'a trigger needs a payload')
  .refine((e) => e.event_action === 'trigger' || e.dedup_key, 'acknowledge and resolve need the dedup_key');

describe('alerts on a change of state', () => {
  const hook = receiver(1); // the first delivery fails: it must be retried
  let url: string;
  beforeAll(async () => void (url = await hook.ready));
  afterAll(() => hook.close());

  it('sends one webhook per scan and one PagerDuty event per newly failing backup, naming it and its regions, and nothing on the next identical run', async () => {
    const state = tempDir();
    const args = ['scan', demo, '--tier', 'daily', '--state-dir', state, '--webhook', `${url}/slack/T000/SECRET`, '--pagerduty-key', 'R0UT1NGKEY', '--pagerduty-url', `${url}/pagerduty`];
    const first = await runCli(args);
    expect(first.code).toBe(1);
    expect(first.stdout + first.stderr).not.toMatch(/SECRET|R0UT1NGKEY/);
    const slack = hook.got.filter((g) => g.path.startsWith('/slack'));
    const pd = hook.got.filter((g) => g.path === '/pagerduty');
    expect(slack).toHaveLength(1); // one message per scan, about both failing backups
    expect(pd).toHaveLength(2); // one event per backup: the corrupted and the truncated
    const aboutCorrupted = slack[0]!;
    expect(aboutCorrupted.body.text).toMatch(/^restorable: 2 backups failing/);
    expect(aboutCorrupted.body.text).toContain(corrupted);
    expect(aboutCorrupted.body.text).toMatch(/failed its hash check: corrupt blocks/);
    expect(aboutCorrupted.body.text).toContain('block 5 bytes 327680-393215 (64 KiB) in app/logs/access.log');
    // Each region once, though the check also states it as a finding.
    expect(aboutCorrupted.body.text.split('327680-393215')).toHaveLength(2);
    expect(aboutCorrupted.body.text.split('1533174-2555289')).toHaveLength(2);
    // Every body is what the Events API v2 accepts.
    for (const p of pd) expect(() => pagerdutyEvent.parse(p.body)).not.toThrow();
    const trigger = pd.find((p) => p.body.dedup_key === dedupKey(corrupted))!;
    expect(trigger.body).toMatchObject({ routing_key: 'R0UT1NGKEY', event_action: 'trigger', payload: { severity: 'critical', source: hostname(), custom_details: { backup: corrupted } } });

    const again = await runCli(args);
    expect(again.code).toBe(1);
    expect(hook.got).toHaveLength(3); // nothing new
  });

  it('a channel that is down is reported and retried, and never stops the scan', async () => {
    const state = tempDir();
    const run = await runCli(['scan', demo, '--tier', 'daily', '--state-dir', state, '--webhook', 'http://127.0.0.1:9/hooks/SECRET']);
    expect(run.code, run.stdout + run.stderr).toBe(1); // the scan's own verdict
    expect(run.stderr).toContain('restorable: alert not delivered: webhook http://127.0.0.1:9/…');
    expect(run.stderr).not.toContain('SECRET');
    expect(run.stdout).toMatch(/6 files checked/);
  });

  it('resolves when a failing backup passes again', async () => {
    const dir = tempDir();
    const file = join(dir, 'a.tar.gz');
    writeFileSync(file, 'good');
    expect((await runCli(['manifest', file])).code).toBe(0);
    const state = tempDir();
    const local = receiver();
    const base = await local.ready;
    const args = ['scan', dir, '--tier', 'daily', '--state-dir', state, '--pagerduty-key', 'K', '--pagerduty-url', `${base}/pd`];
    writeFileSync(file, 'evil');
    await runCli(args);
    writeFileSync(file, 'good');
    await runCli(args);
    await local.close();
    expect(local.got.map((g) => g.body.event_action)).toEqual(['trigger', 'resolve']);
    for (const g of local.got) expect(() => pagerdutyEvent.parse(g.body)).not.toThrow();
    // One incident for the backup: a digest of host and path, within PagerDuty's 255 characters.
    expect(new Set(local.got.map((g) => g.body.dedup_key))).toEqual(new Set([dedupKey(file)]));
    expect(dedupKey(file)).toMatch(/^restorable-[0-9a-f]{40}$/);
    expect(dedupKey(`/${'very-long-folder-name/'.repeat(20)}backup.tar.gz`).length).toBeLessThanOrEqual(255);
    expect(dedupKey(file, 'host-a')).not.toBe(dedupKey(file, 'host-b'));
  });
});
