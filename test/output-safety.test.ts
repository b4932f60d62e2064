import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, digest, tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';

/** Names, manifests and URIs are input from outside: nothing in them may reach a terminal as a control sequence, and no secret may be echoed. */

// ESC [ 2 J clears the screen; U+009B is a one-byte CSI to many terminals; NUL-free (file names cannot hold NUL)
const HOSTILE = 'evil\u001b[2J\u009b31m\u0007name.tar.gz';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('control characters from names and manifests', () => {
  it('a backup named with escape sequences prints as "?" in text, and as \\u escapes in JSON', async () => {
    const dir = tempDir();
    const data = bytes('hostile', 2000);
    writeFileSync(join(dir, HOSTILE), data);
    writeFileSync(join(dir, 'SHA256SUMS'), `${digest('sha256', Buffer.from('other'))}  ${HOSTILE}\n`);
    const text = await runCli(['verify', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('evil?[2J?31m?name.tar.gz');
    expect(text.stdout).not.toMatch(CONTROL);
    const json = await runCli(['verify', dir, '--json']);
    expect(json.stdout).not.toMatch(CONTROL);
    expect(json.stdout).toContain('\\u009b31m');
    expect(parseJsonOutput(json).results[0]!.file).toBe(join(dir, HOSTILE)); // the same name, losslessly
  });

  it('an error quoting a malformed manifest shows no control characters', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.tar.gz'), bytes('a', 100));
    writeFileSync(join(dir, 'a.tar.gz.sha256'), '\u001b]0;owned\u0007zz  a.tar.gz\n');
    const run = await runCli(['verify', join(dir, 'a.tar.gz.sha256')]);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/not a checksum line: "\?\]0;owned\?zz" is not hexadecimal/);
    expect(run.stdout + run.stderr).not.toMatch(CONTROL);
  });
});

describe('secrets', () => {
  for (const uri of ['s3://AKIAEXAMPLE:SuperSecret42@bucket/p', 's3:/AKIAEXAMPLE:SuperSecret42@bucket', 's3://bucket/p?secret_access_key=SuperSecret42']) {
    it(`a refused location URI never shows its keys: ${uri.replace(/SuperSecret42/, '…')}`, async () => {
      for (const json of [[], ['--json']]) {
        const run = await runCli(['locations', join(tempDir(), 'x.tar'), '--location', `far=${uri}`, ...json]);
        expect(run.code).toBe(2);
        expect(run.stdout + run.stderr).toMatch(/location far: /);
        expect(run.stdout + run.stderr).not.toMatch(/SuperSecret42|AKIAEXAMPLE/);
      }
    });
  }

  it('a webhook URL with credentials is never echoed when its delivery fails', async () => {
    // a receiver that fails every delivery (after seeing the credentials, sent as Basic auth)
    const auth: string[] = [];
    const server = createServer((req, res) => {
      auth.push(String(req.headers.authorization));
      req.resume();
      res.writeHead(503).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'db.tar'), bytes('db', 1000));
      writeFileSync(join(dir, 'db.tar.sha256'), `${'0'.repeat(64)}  db.tar\n`);
      const url = `http://hook:SuperSecret42@127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/SuperSecret42`;
      const run = await runCli(['scan', dir, '--tier', 'daily', '--state-dir', tempDir(), '--webhook', url, '--json']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/alert not delivered: webhook http:\/\/127\.0\.0\.1:\d+\/…/);
      expect(run.stdout + run.stderr).not.toMatch(/SuperSecret42/);
      expect(auth.length).toBeGreaterThan(0);
      expect(new Set(auth)).toEqual(new Set([`Basic ${Buffer.from('hook:SuperSecret42').toString('base64')}`]));
    } finally {
      server.close();
    }
  });
});
