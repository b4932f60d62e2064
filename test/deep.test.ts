import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { CLI, parseJsonOutput, runCli } from './helpers/run-cli.js';
import { bytes, tempDir } from './helpers/fixtures.js';
import { runTool } from './helpers/tools.js';

type Member = Partial<Header> & { name: string; content?: Buffer };

/** Builds a tar (gzip-compressed unless told) from headers, as an attacker could. */
async function makeTar(members: Member[], gzip = true): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const m of members) {
    const { content, ...header } = m;
    await new Promise<void>((resolve, reject) => pack.entry({ mtime: new Date(0), ...header, size: content?.length ?? 0 }, content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  const raw = Buffer.concat(chunks);
  return gzip ? gzipSync(raw) : raw;
}

async function deep(file: string, ...args: string[]) {
  const sandboxes = tempDir('restorable-sandboxes-');
  const before = createHash('sha256').update(readFileSync(file)).digest('hex');
  const run = await runCli(['deep', file, '--json', '--temp-dir', sandboxes, ...args]);
  // The backup is byte-identical afterwards, and no sandbox is left behind.
  expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
  expect(readdirSync(sandboxes)).toEqual([]);
  return { run, result: parseJsonOutput(run).results[0]! };
}

describe('deep check', () => {
  it('passes a healthy tar.gz made by GNU tar, counting files, empty files and files nobody may read', async () => {
    const dir = tempDir();
    const src = join(dir, 'src');
    mkdirSync(join(src, 'site'), { recursive: true });
    mkdirSync(join(src, 'db'));
    writeFileSync(join(src, 'site/index.html'), '<h1>hi</h1>');
    writeFileSync(join(src, 'site/empty.txt'), '');
    writeFileSync(join(src, 'site/secret.key'), 'k', { mode: 0o000 });
    execFileSync('ln', ['-s', 'index.html', join(src, 'site/link')]);
    writeFileSync(join(src, 'db/dump.sql'), '-- MySQL dump 10.13\nINSERT INTO t VALUES (1);\n-- Dump completed on 2026-11-20 02:00:00\n');
    const file = join(dir, 'site.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', src, 'site', 'db']);
    const { run, result } = await deep(file);
    expect(run.code).toBe(0);
    expect(result.status).toBe('verified');
    expect(result.archive).toMatchObject({ format: 'tar+gzip', entries: 7, complete: true, files: 4, links: 1, emptyFiles: ['site/empty.txt'], noPermissionFiles: ['site/secret.key'] });
    // the dump inside: its tool, its trailer, and its rows per table
    expect(result.dumps).toEqual([{ name: 'db/dump.sql', tool: 'mysqldump', complete: true, rows: 1, tables: [{ table: 't', rows: 1 }] }]);
  });

  it('reads dumps inside the archive compressed with gzip, zstd and xz (the real programs); a cut zstd stream names its member', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 2000 }, (_, i) => `(${i}, 'row ${i}')`).join(',\n');
    const dump = Buffer.from(`-- MySQL dump 10.13\nINSERT INTO t VALUES\n${rows};\n-- Dump completed on 2026-11-20 02:00:00\n`);
    const packed = (program: string, args: string[]) => execFileSync(program, args, { input: dump });
    const members = { 'a.sql.gz': packed('gzip', ['-c']), 'b.sql.zst': packed('zstd', ['-q', '-c']), 'c.sql.xz': packed('xz', ['-c']) };
    const good = join(dir, 'dumps.tar');
    writeFileSync(good, await makeTar(Object.entries(members).map(([name, content]) => ({ name, mode: 0o600, content })), false));
    const ok = await deep(good);
    expect(ok.run.code, JSON.stringify(ok.result.findings)).toBe(0);
    expect(ok.result.dumps.map((d: { name: string; rows: number; complete: boolean }) => [d.name, d.rows, d.complete])).toEqual([
      ['a.sql.gz', 2000, true],
      ['b.sql.zst', 2000, true],
      ['c.sql.xz', 2000, true],
    ]);
    const cut = join(dir, 'cut.tar');
    writeFileSync(cut, await makeTar([{ name: 'b.sql.zst', mode: 0o600, content: members['b.sql.zst'].subarray(0, Math.floor(members['b.sql.zst'].length / 2)) }], false));
    const bad = await deep(cut);
    expect(bad.run.code).toBe(1);
    expect(bad.result.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(/^b\.sql\.zst: zstd/m);
  });

  it('fails a dump inside the archive that lacks its completion trailer', async () => {
    const dir = tempDir();
    const file = join(dir, 'db.tar');
    writeFileSync(file, await makeTar([{ name: 'dump.sql', mode: 0o600, content: Buffer.from('-- MySQL dump 10.13\nINSERT INTO t VALUES (1);\n') }], false));
    const { run, result } = await deep(file);
    expect(run.code).toBe(1);
    expect(result.status).toBe('deep_failed');
    expect(result.findings[0].message).toBe('dump.sql: mysqldump dump without its completion trailer (“-- Dump completed”): it was cut short');
  });

  it('checks standalone .sql.gz dumps: complete, cut short, and a corrupt gzip stream', async () => {
    const dir = tempDir();
    const complete = join(dir, 'ok.sql.gz');
    writeFileSync(complete, gzipSync('--\n-- PostgreSQL database dump\n--\nCREATE TABLE t ();\n--\n-- PostgreSQL database dump complete\n--\n'));
    expect((await deep(complete)).run.code).toBe(0);
    const cut = join(dir, 'cut.sql.gz');
    writeFileSync(cut, gzipSync('--\n-- PostgreSQL database dump\n--\nCREATE TABLE t ();\n'));
    expect((await deep(cut)).result.status).toBe('deep_failed');
    const broken = join(dir, 'broken.sql.gz');
    const gz = gzipSync(bytes('sql', 200_000).toString('hex'));
    gz.fill(0x55, 1000, 1100);
    writeFileSync(broken, gz);
    const { result } = await deep(broken);
    expect(result.status).toBe('deep_failed');
    expect(result.findings[0].message).toMatch(/^gzip: .* at byte \d+ of the file$/);
  });

  it('checks a pg_dump custom-format file with pg_restore --list, and says so when pg_restore is absent', async () => {
    const dir = tempDir();
    const broken = join(dir, 'db.dump');
    writeFileSync(broken, Buffer.concat([Buffer.from('PGDMP'), Buffer.from([1, 14, 0]), Buffer.from('not a real table of contents')]));
    const { run, result } = await deep(broken);
    expect(run.code).toBe(1);
    expect(result.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(/^pg_restore --list: pg_restore: error: /m);
    const without = await runCli(['deep', broken, '--json'], { env: { PATH: '/nonexistent' } });
    expect(without.code).toBe(0);
    expect(parseJsonOutput(without).results[0]!.findings.map((f: { message: string }) => f.message)).toContain('pg_restore is not installed: only the header was checked (Debian: apt-get install postgresql-client)');
    const notDump = join(dir, 'other.dump');
    writeFileSync(notDump, 'just text');
    expect((await deep(notDump)).result.findings[0].message).toBe('not a pg_dump custom-format file (no PGDMP header)');
  });

  it('gives a salvage report for the demo set\'s corrupted backup: the first damaged member and what is recoverable', async () => {
    const dir = join(tempDir(), 'demo');
    const set = JSON.parse((await runCli(['demo', dir, '--json'])).stdout) as { backups: { file: string; role: string }[] };
    const corrupted = set.backups.find((b) => b.role === 'corrupted')!.file;
    const { run, result } = await deep(corrupted);
    expect(run.code).toBe(1);
    expect(result.status).toBe('archive_damaged');
    // Planted: bytes flipped at 328680 (block 5). The members before it read intact.
    expect(result.salvage).toMatchObject({ member: 'app/logs/access.log', recoverableMembers: 3 });
    // zlib reports how far it had read when it failed: at most one read (256 KiB) before the damage.
    expect(result.salvage.compressedOffset).toBeGreaterThan(5 * 65536 + 1000 - 256 * 1024);
    expect(result.salvage.compressedOffset).toBeLessThanOrEqual(6 * 65536);
    expect(run.stdout).not.toMatch(/"status": "verified"/);
    // Past the damage, salvage's machinery: the members it gets back, each verified against the content index.
    expect(result.salvage.past.resumedAt.length).toBeGreaterThan(0);
    expect(result.salvage.past.verified).toBeGreaterThan(0);
    const healthy = set.backups.find((b) => b.role === 'healthy')!.file;
    expect((await deep(healthy)).result.status).toBe('verified');
  });
});

describe('hostile archives are contained', () => {
  const cases: [string, Member[], RegExp][] = [
    ['an absolute path', [{ name: '/tmp/restorable-pwned', content: Buffer.from('x') }], /refused \/tmp\/restorable-pwned: absolute path/],
    ['a path with ..', [{ name: 'a/../../escaped.txt', content: Buffer.from('x') }], /refused a\/..\/..\/escaped.txt: its path leads outside the archive/],
    [
      'a write through an absolute symlink',
      [
        { name: 'etc', type: 'symlink', linkname: '/tmp' },
        { name: 'etc/restorable-pwned', content: Buffer.from('x') },
      ],
      /refused etc\/restorable-pwned: it would be written through the link etc, which points outside the archive/,
    ],
    [
      'a write through a relative symlink climbing out',
      [
        { name: 'up', type: 'symlink', linkname: '../../../../../../../../tmp' },
        { name: 'up/restorable-pwned', content: Buffer.from('x') },
      ],
      /refused up\/restorable-pwned: it would be written through the link up, which points outside the archive/,
    ],
    [
      'a write through a symlink',
      [
        { name: 'inner', type: 'directory' },
        { name: 'jump', type: 'symlink', linkname: 'inner' },
        { name: 'jump/file.txt', content: Buffer.from('x') },
      ],
      /refused jump\/file.txt: it would be written through the link jump/,
    ],
    ['a hard link to a file outside', [{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }], /refused passwd: hard link to \/etc\/passwd: absolute path/],
  ];
  // What a system backup legitimately holds: recorded and reported, never made, never a failure.
  const warnings: [string, Member[], RegExp][] = [
    ['a symlink pointing outside', [{ name: 'etc', type: 'symlink', linkname: '/etc' }], /etc: symbolic link to \/etc, outside the archive/],
    ['a relative symlink climbing out', [{ name: 'up', type: 'symlink', linkname: '../../..' }], /up: symbolic link to ..\/..\/.., outside the archive/],
    ['a device', [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }], /sda: a block device: recorded, not created/],
    ['a FIFO', [{ name: 'pipe', type: 'fifo' }], /pipe: a fifo: recorded, not created/],
  ];
  for (const [what, members, message] of warnings) {
    for (const command of ['deep', 'restore-test']) {
      it(`${command}: ${what} is a warning, not a failure, and nothing is made outside the sandbox`, async () => {
        const dir = tempDir();
        const temps = tempDir('restorable-temps-');
        const file = join(dir, 'system.tar.gz');
        writeFileSync(file, await makeTar([...members, { name: 'etc-copy/hosts', content: Buffer.from('127.0.0.1 localhost\n') }]));
        const run = await runCli([command, file, '--json', '--temp-dir', temps]);
        expect(run.code, run.stdout).toBe(0);
        const [r] = parseJsonOutput(run).results;
        const warning = r!.findings.find((f: { message: string }) => message.test(f.message));
        expect(warning?.severity).toBe('warning');
        expect(r!.findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);
        expect(readdirSync(temps)).toEqual([]);
        expect(readdirSync(dir)).toEqual(['system.tar.gz']);
      });
    }
  }
  for (const [what, members, message] of cases) {
    it(`refuses ${what}, as a finding, and writes nothing outside the sandbox`, async () => {
      const dir = tempDir();
      const file = join(dir, 'evil.tar.gz');
      writeFileSync(file, await makeTar(members));
      const { run, result } = await deep(file);
      expect(run.code).toBe(1);
      expect(result.status).toBe('deep_failed');
      expect(result.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(() => statSync('/tmp/restorable-pwned')).toThrow();
      expect(readdirSync(dir)).toEqual(['evil.tar.gz']);
    });
  }

  // Root reaches any file on the system; a user reaches their own. Both are run: as root directly or in a
  // user namespace (unshare -r); as a user directly, or, when the tests run as root, in a user namespace
  // of its own (unshare --user: no capabilities at all, yet the owner of the victim file, who could write it).
  const root = process.getuid?.() === 0;
  const users: [string, string[]][] = [
    ['as root', root ? [] : ['unshare', '-r']],
    ['as a non-root user', root ? ['unshare', '--user'] : []],
  ];
  for (const [who, as] of users)
  for (const command of ['deep', 'restore-test']) {
    it(`${command} ${who}: a chain of links that passes a check on the text of paths writes nothing outside the sandbox`, async () => {
      // x -> . makes y -> x/x/x/../.. lead two folders above the sandbox (the text normalises to "x");
      // a hard link through y then names a file outside, and a file member of that name writes through it.
      const outside = tempDir();
      const victim = join(outside, 'victim.txt');
      writeFileSync(victim, 'precious\n');
      const temps = tempDir('restorable-temps-');
      const dir = tempDir();
      const file = join(dir, 'chain.tar');
      // the sandbox is temps/restorable-*-XXXX: two levels below the folder that holds `outside`
      const fromAbove = `${outside.split('/').pop()}/victim.txt`;
      writeFileSync(
        file,
        await makeTar(
          [
            { name: 'x', type: 'symlink', linkname: '.' },
            { name: 'y', type: 'symlink', linkname: 'x/x/x/../..' },
            { name: 'h', type: 'link', linkname: `y/${fromAbove}` },
            { name: 'h', content: Buffer.from('pwned\n') },
          ],
          false,
        ),
      );
      const run = await runCli([command, file, '--json', '--temp-dir', temps], { as });
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(run.code, run.stdout).toBe(1);
      const [r] = parseJsonOutput(run).results;
      const messages = r!.findings.map((f: { message: string }) => f.message).join('\n');
      // The link itself is only recorded (a warning); the hard link through it is refused.
      expect(messages).toMatch(/y: symbolic link to x\/x\/x\/\.\.\/\.\., outside the archive/);
      expect(messages).toMatch(/refused h: hard link to y\/.*victim.txt, which leads outside the archive/);
      expect(readdirSync(temps)).toEqual([]);
    });
  }

  it('does not restore setuid bits', async () => {
    const dir = tempDir();
    const file = join(dir, 'suid.tar');
    writeFileSync(file, await makeTar([{ name: 'bin/su', mode: 0o4755, content: Buffer.from('#!/bin/sh\n') }], false));
    const { result } = await deep(file);
    expect(result.findings.map((f: { message: string }) => f.message)).toContain('bin/su: has the setuid bit; not restored');
  });

  it('stops a decompression bomb at the ratio limit', async () => {
    const dir = tempDir();
    const file = join(dir, 'bomb.tar.gz');
    writeFileSync(file, await makeTar([{ name: 'zeros.bin', content: Buffer.alloc(80 * 1024 * 1024) }]));
    const { run, result } = await deep(file, '--max-ratio', '50');
    expect(run.code).toBe(1);
    expect(result.findings[0].message).toMatch(/^extraction stopped: expands \d+x its compressed size \(limit 50x\): a decompression bomb$/);
  });

  it('stops at the member count limit, and at the byte limit', async () => {
    const dir = tempDir();
    const file = join(dir, 'many.tar');
    writeFileSync(file, await makeTar(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: Buffer.from('0123456789') })), false));
    expect((await deep(file, '--max-entries', '5')).result.findings[0].message).toBe('extraction stopped: more than 5 members (limit)');
    expect((await deep(file, '--max-bytes', '100')).result.findings[0].message).toBe('extraction stopped: more than 100 bytes would be extracted (limit)');
  });

  it('reports an archive that ends without its end-of-archive marker as damaged, never as a pass', async () => {
    const dir = tempDir();
    const whole = await makeTar([{ name: 'a.txt', content: bytes('a', 5000) }, { name: 'b.txt', content: bytes('b', 5000) }], false);
    const file = join(dir, 'cut.tar');
    writeFileSync(file, whole.subarray(0, 512 + 5120 + 512 + 1000));
    const { run, result } = await deep(file);
    expect(run.code).toBe(1);
    expect(result.status).toBe('archive_damaged');
    expect(result.salvage).toMatchObject({ member: 'b.txt', recoverableMembers: 1, recoverableBytes: 5000 });
  });

  it('names the missing program for a .tar.zst when zstd is absent', async () => {
    const dir = tempDir();
    const file = join(dir, 'x.tar.zst');
    writeFileSync(file, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
    const run = await runCli(['deep', file], { env: { PATH: '/nonexistent' } });
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toContain('zstd is not installed; it is needed to read zstd backups (Debian: apt-get install zstd)');
  });

  it('reads a tar.zst and a tar.xz through the system programs', async () => {
    const dir = tempDir();
    const raw = await makeTar([{ name: 'a.txt', content: Buffer.from('hello') }], false);
    writeFileSync(join(dir, 'x.tar'), raw);
    execFileSync('zstd', ['-q', 'x.tar', '-o', 'x.tar.zst'], { cwd: dir });
    execFileSync('xz', ['-k', 'x.tar'], { cwd: dir });
    for (const name of ['x.tar.zst', 'x.tar.xz']) {
      const { run, result } = await deep(join(dir, name));
      expect(run.code, name).toBe(0);
      expect(result.archive.entries).toBe(1);
    }
    mkdirSync(join(dir, 'unused'));
  });
});

describe('inputs that are not regular files', () => {
  for (const command of ['deep', 'restore-test']) {
    it(`${command} refuses a FIFO and a link to /dev/zero at once (exit 2), instead of hanging or reading forever`, async () => {
      const dir = tempDir();
      const fifo = join(dir, 'data.tar.gz');
      execFileSync('mkfifo', [fifo]);
      const zero = join(dir, 'zero.tar.gz');
      (await import('node:fs')).symlinkSync('/dev/zero', zero);
      for (const [file, kind] of [[fifo, 'a FIFO'], [zero, 'a character device']] as const) {
        const run = await runCli([command, file]);
        expect(run.code, run.stdout + run.stderr).toBe(2);
        expect(run.stdout + run.stderr).toContain(`${file}: not a regular file (${kind})`);
      }
    });
  }
});

describe('benign and empty archives', () => {
  it('`tar -czf x.tar.gz -C dir .` (its "./" member) is read as GNU tar reads it: verified, no refusal', async () => {
    const dir = tempDir();
    const src = join(dir, 'src');
    mkdirSync(join(src, 'a'), { recursive: true });
    writeFileSync(join(src, 'a', 'f.txt'), 'hi\n');
    const file = join(dir, 'dot.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', src, '.']);
    expect(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n')[0]).toBe('./');
    const { run, result } = await deep(file);
    expect(run.code, run.stdout).toBe(0);
    expect(result.status).toBe('verified');
    expect(result.findings.filter((f: { severity: string }) => f.severity !== 'info')).toEqual([]);
  });

  for (const command of ['deep', 'restore-test']) {
    it(`${command}: a 0-byte archive is empty (exit 1), never "verified, 0 members"`, async () => {
      const dir = tempDir();
      for (const name of ['a.tar', 'b.tar.gz']) {
        writeFileSync(join(dir, name), '');
        const run = await runCli([command, join(dir, name), '--json']);
        expect(run.code).toBe(1);
        expect(parseJsonOutput(run).results[0]!.status).toBe('empty');
      }
    });
  }
});

describe('a directory member whose header states a size (Go archive/tar hdr-only.tar)', () => {
  for (const command of ['deep', 'restore-test']) {
    it(`${command} ends with a verdict (damaged, exit 1), never silently with exit 13, and removes its sandbox`, async () => {
      const dir = tempDir();
      const file = join(dir, 'hdr.tar');
      const script = `import tarfile, io, sys\nwith tarfile.open(sys.argv[1], 'w', format=tarfile.USTAR_FORMAT) as t:\n    d = tarfile.TarInfo('dir/'); d.type = tarfile.DIRTYPE; d.size = 600\n    t.addfile(d, io.BytesIO(b'x' * 600))\n    f = tarfile.TarInfo('dir/f.txt'); f.size = 3\n    t.addfile(f, io.BytesIO(b'abc'))\n`;
      execFileSync('python3', ['-c', script, file]);
      // GNU tar also fails on it ("Skipping to next header", exit 2), though it goes on to extract dir/f.txt;
      // we stop at the first header that is not one, and say the archive is damaged from there.
      const gnu = runTool('tar', ['-tvf', file]);
      expect(gnu.status).toBe(2);
      expect(gnu.stderr).toMatch(/Skipping to next header/);
      const temps = tempDir('restorable-temps-');
      const run = await runCli([command, file, '--json', '--temp-dir', temps]);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(parseJsonOutput(run).results[0]!.status).toBe('archive_damaged');
      expect(readdirSync(temps)).toEqual([]);
    });
  }
});

describe('no room for the sandbox', () => {
  for (const command of ['deep', 'restore-test']) {
    it(`${command} in a temp folder with too little free space: could not check (exit 2), naming the folder`, () => {
      const dir = tempDir();
      const src = join(dir, 'src');
      mkdirSync(src);
      writeFileSync(join(src, 'f.txt'), 'six b\n');
      const file = join(dir, 'small.tar.gz');
      execFileSync('tar', ['-czf', file, '-C', src, '.']);
      const tiny = tempDir('restorable-tiny-');
      // a 1 MiB file system of our own (a tmpfs in a user and mount namespace): under the 64 MiB the sandbox keeps free
      const script = `mount -t tmpfs -o size=1m tmpfs "$1" && exec "$2" "$3" ${command} "$4" --temp-dir "$1" --json`;
      const run = runTool('unshare', ['-rm', 'sh', '-c', script, 'sh', tiny, process.execPath, CLI, file]);
      expect(run.status, run.stdout + run.stderr).toBe(2);
      const [r] = JSON.parse(run.stdout).results;
      expect(r.status).toBe('error');
      expect(r.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(/not enough free space for the sandbox \(0 bytes usable, the archive needs about \d+\); choose another place with --temp-dir/);
    });
  }
});
