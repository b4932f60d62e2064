import { execSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, digest, manyBackups, tempDir } from './helpers/fixtures.js';
import { CLI, runCli } from './helpers/run-cli.js';

/** The small things that page someone at 3 a.m.: each ends in one clear line and the documented exit code. */

describe('a closed stdout', () => {
  it('`restorable verify DIR | head -1` ends quietly: no EPIPE stack trace, the status a closed pipe gives coreutils', () => {
    const { dir } = manyBackups(2000, 40, 'backup-with-a-long-name-');
    const err = join(tempDir(), 'stderr');
    // more output than a pipe holds: writes after head has gone fail with EPIPE
    const out = execSync(`set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} verify ${JSON.stringify(dir)} 2>${JSON.stringify(err)} | head -1; echo "status \${PIPESTATUS[0]}"`, { shell: '/bin/bash', encoding: 'utf8' });
    expect(out).toMatch(/^✓ verified +\S*backup-with-a-long-name-00000\.tar/);
    expect(out).toMatch(/status 141\n$/);
    expect(readFileSync(err, 'utf8')).toBe('');
  });
});

describe('heal --out', () => {
  it('a relative path is taken from the working folder', async () => {
    const dir = tempDir();
    const good = bytes('heal-out', 3 * 1024 * 1024);
    const file = join(dir, 'db.img');
    writeFileSync(file, good);
    expect((await runCli(['manifest', '--blocks', file])).code).toBe(0);
    const spare = join(dir, 'spare');
    mkdirSync(spare);
    copyFileSync(file, join(spare, 'db.img'));
    const damaged = Buffer.from(good);
    damaged[1_500_000]! ^= 0xff;
    writeFileSync(file, damaged);
    const cwd = tempDir();
    const run = await runCli(['heal', file, '--from', 'spare', '--location', `spare=${spare}`, '--out', 'repaired.img'], { cwd });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(digest('sha256', readFileSync(join(cwd, 'repaired.img')))).toBe(digest('sha256', good));
  });
});

describe('a damaged alert state', () => {
  it('is an error naming the file and what is wrong, not an "unexpected failure"', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'db.tar'), bytes('db', 1000));
    writeFileSync(join(dir, 'db.tar.sha256'), `${digest('sha256', bytes('db', 1000))}  db.tar\n`);
    const state = tempDir();
    writeFileSync(join(state, 'alerts.json'), '{"/backups/a.tar": tru');
    const run = await runCli(['scan', dir, '--tier', 'daily', '--state-dir', state]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^restorable: ${join(state, 'alerts.json')}: not valid JSON at line 1`, 'm'));
    expect(run.stderr).not.toMatch(/unexpected failure|\n\s+at /);
  });
});
