import { execSync } from 'node:child_process';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, hasOpen, parseJsonOutput, runCli, signalWhen } from './helpers/run-cli.js';
import { bytes, digest, tempDir, writeFixture } from './helpers/fixtures.js';
import { runTool } from './helpers/tools.js';

/** A folder with two backups whose manifests were written by the real coreutils and b3sum. */
function toolFolder() {
  const dir = tempDir();
  const a = writeFixture(dir, 'web-20260130.tar.gz', bytes('web', 300_000));
  const b = writeFixture(dir, 'db-20260130.sql.gz', bytes('db', 123_457));
  execSync('sha256sum *.gz > SHA256SUMS && md5sum --tag *.gz > MD5SUMS && b3sum web-20260130.tar.gz > web-20260130.tar.gz.b3', { cwd: dir, shell: '/bin/bash' });
  execSync(`sha256sum ${a} > web-20260130.sha256`, { cwd: dir }); // absolute path, whole extension replaced
  execSync(`sha512sum --binary db-20260130.sql.gz > db-20260130.sql.gz.sha512`, { cwd: dir });
  return { dir, a, b };
}

describe('interoperability with the real tools', () => {
  it('verifies what sha256sum, sha512sum, md5sum --tag and b3sum wrote', async () => {
    const { dir, a, b } = toolFolder();
    const run = await runCli(['verify', dir, '--json']);
    expect(run.code, run.stdout).toBe(0);
    const results = parseJsonOutput(run).results;
    const ra = results.find((r) => r.file === a)!;
    const rb = results.find((r) => r.file === b)!;
    expect(Object.keys(ra.digests).sort()).toEqual(['blake3', 'md5', 'sha256']);
    expect(Object.keys(rb.digests).sort()).toEqual(['md5', 'sha256', 'sha512']);
    expect(ra.manifests.map((m: { kind: string }) => m.kind).sort()).toEqual(['b3sum', 'bsd-tag', 'coreutils', 'coreutils']);
  });

  it('checks every entry of a checksum list given directly, like sha256sum -c', async () => {
    const { dir, a } = toolFolder();
    writeFileSync(a, bytes('tampered', 300_000));
    const run = await runCli(['verify', join(dir, 'SHA256SUMS')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ hash mismatch\s+.*web-20260130\.tar\.gz/);
    expect(run.stdout).toMatch(/✓ verified\s+.*db-20260130\.sql\.gz/);
    // and sha256sum agrees
    const sums = runTool('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir });
    expect(sums.status).toBe(1);
    expect(sums.stdout).toMatch(/^web-20260130\.tar\.gz: FAILED$/m);
    expect(sums.stdout).toMatch(/^db-20260130\.sql\.gz: OK$/m);
  });

  it('reports a listed file that is gone as missing (exit 1)', async () => {
    const { dir, b } = toolFolder();
    execSync(`rm ${b}`);
    const run = await runCli(['verify', join(dir, 'SHA256SUMS'), '--json']);
    expect(run.code).toBe(1);
    expect(parseJsonOutput(run).results.find((r) => r.file === b)!.status).toBe('missing');
  });
});

describe('verify options', () => {
  it('--quick compares sizes only, and catches truncation', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'x.tar', bytes('q', 50_000));
    expect((await runCli(['manifest', file])).code).toBe(0);
    writeFileSync(file, bytes('other content, same size', 50_000));
    const quick = await runCli(['verify', '--quick', file, '--json']);
    expect(quick.code).toBe(0);
    expect(parseJsonOutput(quick).results[0]!.checks).toEqual(['quick']);
    truncateSync(file, 40_000);
    const truncated = await runCli(['verify', '--quick', file]);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toContain('size is 40000 bytes, expected 50000 (10000 bytes missing: truncated)');
  });

  it('--algo limits the digests checked, and says so when none are available', async () => {
    const dir = tempDir();
    const data = bytes('algo', 10_000);
    const file = writeFixture(dir, 'x.tar', data);
    expect((await runCli(['manifest', file, '--algo', 'md5'])).code).toBe(0);
    const md5 = await runCli(['verify', file, '--algo', 'md5', '--json']);
    expect(Object.keys(parseJsonOutput(md5).results[0]!.digests)).toEqual(['md5']);
    expect(parseJsonOutput(md5).results[0]!.digests.md5.actual).toBe(digest('md5', data));
    const none = await runCli(['verify', file, '--algo', 'blake3']);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('no manifest has a digest for the requested algorithms (manifests have: md5, sha256, crc64nvme, crc32c)');
  });
});

describe('bad input: a clear message naming the file, the right exit code, no stack trace', () => {
  const cases: [string, string, string | Buffer, RegExp][] = [
    ['a JSON manifest with a negative size', 'x.tar.manifest.json', '{"hash":"' + 'a'.repeat(64) + '","size":-5,"created_at":"2026-01-30T00:00:00Z"}', /x\.tar\.manifest\.json: size: must not be negative/],
    ['a JSON manifest with a short digest', 'x.tar.manifest.json', '{"hashes":{"sha256":"abc"},"file_size":1}', /x\.tar\.manifest\.json: hashes\.sha256: expected 64 hexadecimal digits/],
    ['a JSON manifest with a string size', 'x.tar.manifest.json', '{"hash":"' + 'a'.repeat(64) + '","size":"12"}', /x\.tar\.manifest\.json: size: /],
    ['a JSON manifest that is not JSON', 'x.tar.manifest.json', '{"hash": ', /x\.tar\.manifest\.json: not valid JSON at line 1/],
    ['a __proto__ key', 'x.tar.manifest.json', '{"hash":"' + 'a'.repeat(64) + '","__proto__":{"polluted":true}}', /x\.tar\.manifest\.json: __proto__: forbidden key/],
    ['a checksum line that is not one', 'x.tar.sha256', 'this is not a checksum\n', /x\.tar\.sha256: line 1: not a checksum line/],
    ['a sha256 file with an md5-length digest', 'x.tar.sha256', `${'a'.repeat(32)}  x.tar\n`, /x\.tar\.sha256: line 1: sha256 digest has 32 hex digits; sha256 needs 64/],
    ['a binary file posing as a checksum list', 'x.tar.sha256', Buffer.from([0, 1, 2, 3]), /x\.tar\.sha256: contains NUL bytes/],
  ];
  for (const [what, name, content, message] of cases) {
    it(`${what}`, async () => {
      const dir = tempDir();
      writeFixture(dir, 'x.tar', bytes('x', 1000));
      writeFixture(dir, name, content);
      for (const target of [join(dir, 'x.tar'), dir, join(dir, name)]) {
        const run = await runCli(['verify', target]);
        expect(run.code, `${target}: ${run.stdout}`).toBe(2);
        expect(run.stdout + run.stderr).toMatch(message);
        expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
      }
      const json = await runCli(['verify', dir, '--json']);
      const doc = parseJsonOutput(json);
      expect(doc.results.some((r) => r.status === 'error' && message.test(r.findings[0].message))).toBe(true);
    });
  }

  it('never opens a listed path outside the manifest\'s folder', async () => {
    const root = tempDir();
    const inner = join(root, 'backups');
    mkdirSync(inner);
    writeFixture(root, 'secret.tar', 'not yours');
    writeFixture(inner, 'SHA256SUMS', `${digest('sha256', Buffer.from('not yours'))}  ../secret.tar\n`);
    const run = await runCli(['verify', join(inner, 'SHA256SUMS'), '--json']);
    expect(run.code).toBe(2);
    const doc = parseJsonOutput(run);
    expect(doc.results).toHaveLength(1);
    expect(doc.results[0]!.status).toBe('error');
    expect(doc.results[0]!.findings[0].message).toMatch(/points outside the manifest's folder/);
    expect(JSON.stringify(doc)).not.toContain('"verified"');
  });

  it('a folder that cannot be read, a path that does not exist', async () => {
    const run = await runCli(['verify', '/nonexistent/backups', '--json']);
    expect(run.code).toBe(2);
    expect(parseJsonOutput(run).results[0]!.findings[0].message).toBe('/nonexistent/backups: no such file or directory');
  });

  it('usage errors exit 2, and with --json still print exactly one JSON object', async () => {
    const bad = await runCli(['verify', '--threads', 'zero', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--threads <n>' argument 'zero' is invalid");
    const json = await runCli(['verify', '--json', '--algo', 'sha3', 'x']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false });
    expect((await runCli(['frobnicate'])).code).toBe(2);
    // Every command's option values are usage errors too, never an "unexpected failure".
    for (const args of [['deep', 'x', '--max-ratio', '0'], ['scan', 'x', '--shard', '5/2'], ['watch', 'x', '--interval', 'soon']]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/argument '.*' is invalid/);
      expect(run.stderr).not.toContain('unexpected failure');
    }
  });

  it('a backup with no manifest is reported, never trusted (exit 2)', async () => {
    const dir = tempDir();
    writeFixture(dir, 'lonely.tar.gz', bytes('lonely', 100));
    const run = await runCli(['verify', dir]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/! no manifest\s+.*lonely\.tar\.gz/);
  });
});

describe('interruption', () => {
  it('exits 130 on SIGINT in the middle of a large file', async () => {
    const dir = tempDir();
    const file = join(dir, 'huge.img');
    execSync(`truncate -s 8G ${file}`); // sparse: instant to make, seconds to hash
    writeFixture(dir, 'huge.img.sha512', `${'0'.repeat(128)}  huge.img\n`);
    // interrupted once it has the file open: in the middle of hashing 8 GiB
    const run = await runCli(['verify', file], { onSpawn: signalWhen((p) => hasOpen(p.pid, file), 'SIGINT') });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('interrupted');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('locating damage', () => {
  it('uses the block map beside a backup checked through a .sha256, only once the digest fails', async () => {
    const dir = tempDir();
    const data = bytes('located', 5 * 1024 * 1024);
    const file = writeFixture(dir, 'vm.img', data);
    expect((await runCli(['manifest', file, '--blocks', '--block-size', '64K', '--sha256sum'])).code).toBe(0);
    const healthy = await runCli(['verify', `${file}.sha256`, '--json']);
    expect(parseJsonOutput(healthy).results[0]!.checks).toEqual(['quick', 'hash']); // the block map was not needed
    const fd = await import('node:fs').then((fs) => fs.openSync(file, 'r+'));
    await import('node:fs').then((fs) => (fs.writeSync(fd, Buffer.from('XXXX'), 0, 4, 3 * 65536 + 7), fs.closeSync(fd)));
    const run = await runCli(['verify', `${file}.sha256`, '--json']);
    expect(run.code).toBe(1);
    const [r] = parseJsonOutput(run).results;
    expect(r!.status).toBe('corrupt_blocks');
    // four bytes in random data: nothing a look at one copy can name
    expect(r!.regions).toEqual([{ kind: 'corrupt', state: 'confirmed', firstBlock: 3, lastBlock: 3, offset: 3 * 65536, length: 65536, forensics: expect.objectContaining({ kind: 'unknown' }) }]);
  });

  it('verify --blocks checks the block map alone, in parallel', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'disk.img', bytes('blocks-only', 3 * 1024 * 1024 + 5));
    expect((await runCli(['manifest', file, '--blocks'])).code).toBe(0);
    const run = await runCli(['verify', '--blocks', file, '--json']);
    expect(run.code).toBe(0);
    expect(parseJsonOutput(run).results[0]!.checks).toEqual(['quick', 'blocks']);
    truncateSync(file, 2 * 1024 * 1024 + 100);
    const cut = await runCli(['verify', '--blocks', file, '--json']);
    expect(cut.code).toBe(1);
    expect(parseJsonOutput(cut).results[0]!.regions).toEqual([
      { kind: 'missing', firstBlock: 2, lastBlock: 3, offset: 2 * 1024 * 1024 + 100, length: 3 * 1024 * 1024 + 5 - (2 * 1024 * 1024 + 100), forensics: expect.objectContaining({ kind: 'truncated', summary: expect.stringMatching(/^the file ends at byte 2,097,252, 1,048,481 bytes short of its manifest: truncated/) }) },
    ]);
  });
});

describe('progress', () => {
  it('draws a progress bar on stderr only when it is a terminal', async () => {
    const dir = tempDir();
    const file = join(dir, 'slow.img');
    execSync(`truncate -s 1G ${file}`);
    writeFixture(dir, 'slow.img.sha512', `${'0'.repeat(128)}  slow.img\n`);
    // `script` gives the command a real pseudo-terminal.
    const out = execSync(`script -qefc "node ${JSON.stringify(CLI).slice(1, -1)} verify slow.img" /dev/null || true`, { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(out).toMatch(/hashing slow\.img \[#*\.*\]\s+\d+% /);
    expect(out).toContain('hash mismatch');
  });
});
