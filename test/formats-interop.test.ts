import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { globMatcher } from '../src/core/glob.js';
import { bytes, digest, tempDir, writeFixture } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { runTool } from './helpers/tools.js';

/** Checksum lists as other tools write them, read as those tools read them (or refused, clearly). */

function backupIn(dir: string, name = 'db-20261130.sql.gz', seed = name): string {
  return writeFixture(dir, name, bytes(seed, 100_000));
}

async function verifyJson(args: string[], cwd?: string) {
  const run = await runCli(['verify', ...args, '--json'], { cwd });
  return { run, results: parseJsonOutput(run).results };
}

describe('coreutils lines', () => {
  it('a tab between digest and name, as sha256sum -c accepts', async () => {
    const dir = tempDir();
    const file = backupIn(dir);
    writeFileSync(join(dir, 'SHA256SUMS'), `${digest('sha256', bytes('db-20261130.sql.gz', 100_000))}\tdb-20261130.sql.gz\n`);
    const sums = runTool('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir });
    expect(sums.status).toBe(0);
    const { run, results } = await verifyJson([join(dir, 'SHA256SUMS')]);
    expect(run.code, run.stdout).toBe(0);
    expect(results.map((r) => [r.file, r.status])).toEqual([[file, 'verified']]);
  });
});

describe('rhash and shasum', () => {
  it('rhash --bsd pads the algorithm names; every line is read', async () => {
    const dir = tempDir();
    backupIn(dir);
    const out = runTool('rhash', ['--bsd', '--md5', '--sha1', '--sha256', 'db-20261130.sql.gz'], { cwd: dir });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^MD5 {3}\(db-20261130\.sql\.gz\) = /m);
    writeFileSync(join(dir, 'CHECKSUMS'), out.stdout);
    const { run, results } = await verifyJson([join(dir, 'CHECKSUMS')]);
    expect(run.code, run.stdout).toBe(0);
    expect(Object.keys(results[0]!.digests).sort()).toEqual(['md5', 'sha1', 'sha256']);
  });

  it('rhash --bsd --all: the digests we compute are checked, the others passed over', async () => {
    const dir = tempDir();
    backupIn(dir);
    writeFileSync(join(dir, 'CHECKSUMS'), runTool('rhash', ['--bsd', '--all', 'db-20261130.sql.gz'], { cwd: dir }).stdout);
    const { run, results } = await verifyJson([join(dir, 'CHECKSUMS')]);
    expect(run.code, run.stdout).toBe(0);
    expect(Object.keys(results[0]!.digests).sort()).toEqual(['md5', 'sha1', 'sha256', 'sha512']);
  });

  it('rhash --sfv: SHA-256 in SFV is read; CRC32 is refused as unsupported (exit 2), never "missing"', async () => {
    const dir = tempDir();
    backupIn(dir);
    writeFileSync(join(dir, 'db.sfv'), runTool('rhash', ['--sfv', '--sha256', 'db-20261130.sql.gz'], { cwd: dir }).stdout);
    const sha = await verifyJson([join(dir, 'db.sfv')]);
    expect(sha.run.code, sha.run.stdout).toBe(0);
    expect(sha.results[0]!.status).toBe('verified');
    writeFileSync(join(dir, 'crc.sfv'), runTool('rhash', ['--sfv', 'db-20261130.sql.gz'], { cwd: dir }).stdout);
    const crc = await runCli(['verify', join(dir, 'crc.sfv')]);
    expect(crc.code).toBe(2);
    expect(crc.stdout + crc.stderr).toMatch(/crc\.sfv: lists only digests restorable does not compute \(CRC32, in SFV format\)/);
  });

  it('shasum -U (universal newlines) is refused as an unsupported format, not read as a file named U…', async () => {
    const dir = tempDir();
    backupIn(dir);
    const out = runTool('shasum', ['-a', '256', '-U', 'db-20261130.sql.gz'], { cwd: dir });
    expect(out.stdout).toMatch(/^[0-9a-f]{64} Udb-20261130\.sql\.gz$/m);
    writeFileSync(join(dir, 'SHA256SUMS'), out.stdout);
    const run = await runCli(['verify', join(dir, 'SHA256SUMS')]);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/SHA256SUMS: line 1: unsupported format: shasum -U/);
    expect(run.stdout + run.stderr).not.toMatch(/missing/);
  });
});

describe('names written from another folder', () => {
  it('sha256sum dir/x > dir/x.sha256 and backup_file "dir/x" resolve beside the manifest', async () => {
    const root = tempDir();
    const dir = join(root, 'dir');
    mkdirSync(dir);
    const file = backupIn(dir, 'a.tar.gz');
    execSync('sha256sum dir/a.tar.gz > dir/a.tar.gz.sha256', { cwd: root });
    const json = { backup_file: 'dir/a.tar.gz', created_at: '2026-11-30T02:00:00Z', file_size: 100_000, hashes: { sha256: digest('sha256', bytes('a.tar.gz', 100_000)) } };
    writeFileSync(join(dir, 'a.tar.manifest.json'), JSON.stringify(json));
    for (const target of [file, join(dir, 'a.tar.gz.sha256'), join(dir, 'a.tar.manifest.json'), dir]) {
      const { run, results } = await verifyJson([target]);
      expect(run.code, `${target}: ${run.stdout}`).toBe(0);
      expect(results.map((r) => [r.file, r.status])).toEqual([[file, 'verified']]);
    }
  });

  it('a sidecar that describes another file says so, instead of "no manifest found"', async () => {
    const dir = tempDir();
    backupIn(dir, 'crm-20261201.sql');
    writeFileSync(join(dir, 'crm-20261201.sql.sha256'), `${'ab'.repeat(32)}  crm-20261130.sql\n`);
    const run = await runCli(['verify', join(dir, 'crm-20261201.sql')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`no manifest for this file: ${join(dir, 'crm-20261201.sql.sha256')} describes crm-20261130.sql, not this file`);
  });
});

describe('file-name patterns', () => {
  it('match as Python\'s fnmatch does, case-insensitively', () => {
    const cases: [string, string][] = [
      ['*.tar.gz', 'db.tar.gz'], ['*.tar.gz', 'db.tar.gz.sha256'], ['db-??.sql', 'db-01.sql'], ['db-??.sql', 'db-1.sql'],
      ['backup-[0-9]*', 'backup-2026.tar'], ['backup-[0-9]*', 'backup-x.tar'], ['[!a]*', 'abc'], ['[!a]*', 'bcd'],
      ['*', ''], ['a*b*c', 'aXbYc'], ['a*b*c', 'aXbYd'], ['[]x]', ']'], ['*[', 'a['], ['**x', 'x'], ['*.SQL', 'dump.sql'],
    ];
    const script = `import fnmatch, json, sys\nprint(json.dumps([fnmatch.fnmatchcase(n.lower(), p.lower()) for p, n in json.load(sys.stdin)]))`;
    const expected = JSON.parse(runTool('python3', ['-c', script], { input: JSON.stringify(cases) }).stdout) as boolean[];
    expect(cases.map(([p, n]) => globMatcher([p])(n))).toEqual(expected);
  });

  it('take time linear in the name, whatever the pattern (a regex glob backtracks for minutes here)', () => {
    const name = 'a'.repeat(10_000);
    expect(globMatcher(['*a*a*a*a*a*a*a*a*a*a*b'])(name)).toBe(false);
    expect(globMatcher(['*a*a*a*a*a*a*a*a*a*a'])(name)).toBe(true);
  });
});

describe('a block map that disagrees with its own file_hash', () => {
  it('verify X.blocks.json, verify --blocks and blocks all call it an inconsistent manifest (exit 2), not damage and not verified', async () => {
    const dir = tempDir();
    const file = backupIn(dir, 'vm.img');
    expect((await runCli(['manifest', '--blocks', '--block-size', '16K', file])).code).toBe(0);
    const mapPath = `${file}.blocks.json`;
    const map = JSON.parse((await import('node:fs')).readFileSync(mapPath, 'utf8'));
    map.file_hash = digest('sha256', Buffer.from('another state of the file'));
    writeFileSync(mapPath, JSON.stringify(map));
    // and the JSON manifest says nothing else: only the map judges
    (await import('node:fs')).unlinkSync(`${file}.manifest.json`);
    for (const args of [['verify', mapPath], ['verify', '--blocks', file], ['blocks', file]]) {
      const run = await runCli([...args, '--json']);
      expect(run.code, `${args.join(' ')}: ${run.stdout}`).toBe(2);
      const [r] = parseJsonOutput(run).results;
      expect(r!.status).toBe('error');
      expect(r!.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(/vm\.img\.blocks\.json is inconsistent: every block matches its digest, but the file's sha256 is/);
    }
  });
});
