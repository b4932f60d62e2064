import { createHash } from 'node:crypto';
import { appendFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { bytes, tempDir } from './helpers/fixtures.js';
import { craftTar, paxRecord } from './helpers/tar-craft.js';
import { runTool, toolBytes } from './helpers/tools.js';

/** A folder as a comparable list: each entry's kind and content (files by sha256, links by target). */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const info = lstatSync(path);
      if (info.isDirectory()) {
        out.push(`${rel}/`);
        walk(path);
      } else if (info.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(path)}`);
      else out.push(`${rel} ${info.size} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`);
    }
  };
  walk(root);
  return out;
}

const PYTHON_DATA_FILTER = 'import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t: t.extractall(sys.argv[2], filter="data")';

/**
 * Extracts `file` with GNU tar, with Python's tarfile (data filter) and with
 * restore-test --target, and returns the three trees and our verdict.
 */
async function threeWays(file: string) {
  const dir = tempDir('restorable-forms-');
  const [gnu, python, ours] = ['gnu', 'python', 'ours'].map((n) => join(dir, n)) as [string, string, string];
  mkdirSync(gnu);
  mkdirSync(python);
  const gnuRun = runTool('tar', ['-xf', file, '-C', gnu]);
  const pythonRun = runTool('python3', ['-c', PYTHON_DATA_FILTER, file, python]);
  const run = await runCli(['restore-test', file, '--target', ours, '--json']);
  const deep = await runCli(['deep', file, '--json']);
  return { gnuRun, pythonRun, run, deep, result: parseJsonOutput(run).results[0]!, deepResult: parseJsonOutput(deep).results[0]!, gnu: tree(gnu), python: tree(python), ours: tree(ours) };
}

const messages = (r: Record<string, any>): string[] => r.findings.map((f: { message: string }) => f.message);

describe('archives GNU tar and Python read fine are read the same way', () => {
  const benign: [string, () => Buffer][] = [
    ['V7 headers (no magic; a folder marked by its trailing slash)', () => craftTar([{ name: 'v7dir/', format: 'v7', mode: 0o755 }, { name: 'v7dir/old.txt', content: 'from 1979\n', format: 'v7' }])],
    ['numbers padded with leading spaces, as old tars wrote them', () => craftTar([{ name: 'spaced.txt', content: 'spaces in numeric fields\n', numbers: 'space-padded' }])],
    ['GNU-format headers', () => craftTar([{ name: 'gnu.txt', content: 'gnu\n', format: 'gnu' }])],
    ['extra zero blocks after the end (tape padding)', () => craftTar([{ name: 'a.txt', content: 'a\n' }], 40)],
    [
      'a pax header without records, and one of records tar does not use',
      () =>
        craftTar([
          { name: 'PaxHeaders/empty', type: 'x', content: '' },
          { name: 'plain.txt', content: 'plain\n' },
          { name: 'PaxHeaders/other', type: 'x', content: paxRecord('SCHILY.fflags', '') + paxRecord('comment', 'made by hand') },
          { name: 'commented.txt', content: 'kept\n' },
        ]),
    ],
    [
      'a member repeated, as tar -r appends it (the last one wins)',
      () => craftTar([{ name: 'notes.txt', content: 'first version\n' }, { name: 'notes.txt', content: 'second, longer version\n' }]),
    ],
    ['a directory member that states a size (Go\'s hdr-only.tar): a directory has no data', () => Buffer.concat([craftTar([{ name: 'sized-dir/', type: '5', statedSize: 0o777, mode: 0o755 }], 0), craftTar([{ name: 'after.txt', content: 'after\n' }])])],
  ];
  for (const [what, make] of benign) {
    it(what, async () => {
      const file = join(tempDir(), 'form.tar');
      writeFileSync(file, make());
      const x = await threeWays(file);
      expect(x.gnuRun.status, x.gnuRun.stderr).toBe(0);
      expect(x.pythonRun.status, x.pythonRun.stderr).toBe(0);
      expect(x.run.code, x.run.stdout).toBe(0);
      expect(x.deep.code, x.deep.stdout).toBe(0);
      expect(x.ours).toEqual(x.gnu);
      expect(x.ours).toEqual(x.python);
      expect(x.deepResult.findings.filter((f: { severity: string }) => f.severity !== 'info')).toEqual([]);
    });
  }

  it('a pax record with an empty value unsets the keyword, as POSIX says (GNU tar and Python take an empty name instead: GNU tar substitutes "." and exits 2, Python fails)', async () => {
    const file = join(tempDir(), 'unset.tar');
    writeFileSync(file, craftTar([{ name: 'PaxHeaders/unset', type: 'x', content: paxRecord('path', '') }, { name: 'kept-name.txt', content: 'kept\n' }]));
    const x = await threeWays(file);
    expect(x.gnuRun.status).toBe(2);
    expect(x.gnuRun.stderr).toMatch(/Substituting `\.' for empty member name/);
    expect(x.pythonRun.status).toBe(1);
    expect(x.run.code, x.run.stdout).toBe(0);
    expect(x.ours).toEqual(['kept-name.txt 5 ' + createHash('sha256').update('kept\n').digest('hex').slice(0, 16)]);
  });

  it('base-256 numbers (a uid too large for octal), written by GNU tar itself', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'big-uid.txt'), 'owned by uid 3000000\n');
    const file = join(dir, 'b256.tar');
    runTool('tar', ['--format=gnu', '--owner=someone:3000000', '-cf', file, '-C', dir, 'big-uid.txt']);
    // GNU tar writes the uid in base-256: its first byte has the high bit set.
    expect(readFileSync(file)[108]! & 0x80).toBe(0x80);
    const x = await threeWays(file);
    expect(x.run.code).toBe(0);
    expect(x.ours).toEqual(x.gnu);
  });

  it("libarchive's (bsdtar) folders and hard links", async () => {
    const dir = tempDir();
    const src = join(dir, 'src');
    mkdirSync(join(src, 'etc/sub'), { recursive: true });
    writeFileSync(join(src, 'etc/sub/original'), 'linked twice\n');
    runTool('ln', [join(src, 'etc/sub/original'), join(src, 'etc/hardlink')]);
    runTool('ln', ['-s', 'sub/original', join(src, 'etc/symlink')]);
    for (const format of ['pax', 'ustar', 'gnutar']) {
      const file = join(dir, `${format}.tar`);
      expect(runTool('bsdtar', ['--format', format, '-cf', file, '-C', src, 'etc']).status).toBe(0);
      const x = await threeWays(file);
      expect(x.run.code, x.run.stdout).toBe(0);
      expect(x.ours).toEqual(x.gnu);
      expect(x.ours).toEqual(x.python);
      // The hard link is a hard link again: one file, two names.
      expect(x.result.archive.links).toBe(2);
    }
  });
});

describe('sparse members', () => {
  const forms: [string, string[]][] = [
    ['GNU (old format)', ['--format=gnu']],
    ['PAX 0.0', ['--format=posix', '--sparse-version=0.0']],
    ['PAX 0.1', ['--format=posix', '--sparse-version=0.1']],
    ['PAX 1.0', ['--format=posix', '--sparse-version=1.0']],
  ];
  for (const [what, flags] of forms) {
    it(`${what}, made with tar -S: restored at its real size and content, under its real name`, async () => {
      const dir = tempDir();
      const src = join(dir, 'src');
      mkdirSync(src);
      const image = join(src, 'disk.img');
      // 20 MiB with three islands of data: the rest is holes.
      writeFileSync(image, '');
      runTool('truncate', ['-s', '20M', image]);
      for (const [at, data] of [[0, 'HEAD'], [10 * 1024 * 1024, bytes('middle', 5000).toString('latin1')], [20 * 1024 * 1024 - 4, 'TAIL']] as const) runTool('dd', ['of=' + image, 'bs=1', `seek=${at}`, 'conv=notrunc', 'status=none'], { input: Buffer.from(data, 'latin1') });
      const file = join(dir, 'sparse.tar');
      expect(runTool('tar', [...flags, '-S', '-cf', file, '-C', src, 'disk.img']).status).toBe(0);
      // Proof the archive is sparse: it holds far less than the file.
      expect(statSync(file).size).toBeLessThan(1024 * 1024);
      const want = createHash('sha256').update(readFileSync(image)).digest('hex');
      const out = join(dir, 'out');
      const run = await runCli(['restore-test', file, '--target', out, '--json']);
      expect(run.code, run.stdout).toBe(0);
      expect(readdirSync(out)).toEqual(['disk.img']);
      expect(statSync(join(out, 'disk.img')).size).toBe(20 * 1024 * 1024);
      expect(createHash('sha256').update(readFileSync(join(out, 'disk.img'))).digest('hex')).toBe(want);
      // The content index holds the real size and the sha256 of the real content, and deep checks it.
      expect((await runCli(['manifest', file, '--contents'])).code).toBe(0);
      const index = JSON.parse(readFileSync(`${file}.contents.json`, 'utf8'));
      expect(index.members).toMatchObject([{ path: 'disk.img', size: 20 * 1024 * 1024, sha256: want }]);
      const deep = await runCli(['deep', file, '--json']);
      expect(deep.code).toBe(0);
      expect(parseJsonOutput(deep).results[0]!.archive.vouchedBy).toBe('content index');
    });
  }
});

describe('what surrounds the archive', () => {
  it('trailing bytes after the gzip stream are named with their offset and length; the members before are judged on their own', async () => {
    const dir = tempDir();
    const file = join(dir, 'trailing.tar.gz');
    const gz = gzipSync(craftTar([{ name: 'a.txt', content: 'a\n' }]));
    writeFileSync(file, Buffer.concat([gz, Buffer.from('GARBAGE FROM A BAD COPY')]));
    // gzip -t: "decompression OK, trailing garbage ignored" (a warning, exit 2).
    const gzipT = runTool('gzip', ['-t', file]);
    expect(gzipT.stderr).toMatch(/trailing garbage ignored/);
    const run = await runCli(['deep', file, '--json']);
    expect(run.code).toBe(0);
    const [r] = parseJsonOutput(run).results;
    expect(r!.status).toBe('verified');
    expect(messages(r!)).toContain(`23 bytes of trailing data after the end of the compressed stream, bytes ${gz.length}-${gz.length + 22} of the file (not part of the archive; the members before them are judged on their own)`);
  });

  it('data after a stream a program reads: bzip2 ignores it (a warning), xz fails on it as `xz -t` does (damage, every member read)', async () => {
    const dir = tempDir();
    const raw = join(dir, 'x.tar');
    writeFileSync(raw, craftTar([{ name: 'a.txt', content: 'a\n' }]));
    const junk = Buffer.from('TRAILING GARBAGE');
    const bz = join(dir, 'x.tar.bz2');
    writeFileSync(bz, Buffer.concat([toolBytes('bzip2', ['-c', raw]), junk]));
    const bzRun = await runCli(['deep', bz, '--json']);
    expect(bzRun.code, bzRun.stdout).toBe(0);
    expect(messages(parseJsonOutput(bzRun).results[0]!)).toContain('data after the end of the compressed stream: bzip2: trailing garbage after EOF ignored (the members before it are judged on their own)');
    const xzFile = join(dir, 'x.tar.xz');
    writeFileSync(xzFile, Buffer.concat([toolBytes('xz', ['-c', raw]), junk]));
    expect(runTool('xz', ['-t', xzFile]).status).toBe(1);
    const xzRun = await runCli(['deep', xzFile, '--json']);
    expect(xzRun.code).toBe(1);
    const [r] = parseJsonOutput(xzRun).results;
    expect(r!.status).toBe('archive_damaged');
    expect(r!.archive.entries).toBe(1);
    expect(messages(r!)[0]).toMatch(/^xz: .*Compressed data is corrupt \(after the end of the archive: every member was read to its end\)/);
  });

  it('a second gzip member is read as part of the stream (pigz and cat make them)', async () => {
    const dir = tempDir();
    const file = join(dir, 'two-members.tar.gz');
    const raw = craftTar([{ name: 'one.txt', content: 'one\n' }, { name: 'two.txt', content: bytes('two', 100_000) }]);
    writeFileSync(file, Buffer.concat([gzipSync(raw.subarray(0, 1024)), gzipSync(raw.subarray(1024))]));
    const run = await runCli(['deep', file, '--json']);
    expect(run.code, run.stdout).toBe(0);
    expect(parseJsonOutput(run).results[0]!.archive.entries).toBe(2);
  });

  it('empty files and files made only of zeros are warnings shown without -v', async () => {
    const dir = tempDir();
    const file = join(dir, 'zeros.tar');
    writeFileSync(file, craftTar([{ name: 'empty.log', content: '' }, { name: 'lost-write.db', content: Buffer.alloc(8192) }, { name: 'fine.txt', content: 'fine\n' }]));
    const run = await runCli(['deep', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('! 1 empty file: empty.log');
    expect(run.stdout).toContain('! 1 file made only of zero bytes (the trace of a lost write?): lost-write.db');
  });

  it('data after the end-of-archive marker is reported, as what tar never reads', async () => {
    const dir = tempDir();
    const file = join(dir, 'after-end.tar');
    writeFileSync(file, craftTar([{ name: 'a.txt', content: 'a\n' }]));
    appendFileSync(file, Buffer.from('left over from an older, longer archive'));
    expect(runTool('tar', ['-tf', file]).status).toBe(0);
    const run = await runCli(['deep', file, '--json', '-v']);
    expect(run.code).toBe(0);
    expect(messages(parseJsonOutput(run).results[0]!)).toContain('39 bytes of data after the end-of-archive marker, from byte 2048 of the archive (tar reads no further)');
  });

  it('a header that fails its checksum is damage, named with its offset (GNU tar skips ahead; we stop: salvage is separate)', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad-header.tar');
    const raw = craftTar([{ name: 'a.txt', content: 'a\n' }, { name: 'b.txt', content: 'b\n' }]);
    raw[1024 + 10]! ^= 0xff;
    writeFileSync(file, raw);
    expect(runTool('tar', ['-tf', file]).status).toBe(2);
    const run = await runCli(['deep', file, '--json']);
    expect(run.code).toBe(1);
    const [r] = parseJsonOutput(run).results;
    expect(r!.status).toBe('archive_damaged');
    expect(r!.salvage).toMatchObject({ uncompressedOffset: 1024, recoverableMembers: 1 });
    expect(messages(r!)[0]).toMatch(/a header fails its checksum at byte 1024/);
  });
});

describe('every compression tar is found in, recognised by its first bytes', () => {
  const programs: [string, string, string[]][] = [
    ['gzip', 'tgz', ['gzip', '-c']],
    ['bzip2', 'tbz', ['bzip2', '-c']],
    ['bzip2', 'tb2', ['bzip2', '-c']],
    ['zstd', 'tzst', ['zstd', '-q', '-c']],
    ['xz', 'txz', ['xz', '-c']],
    ['lz4', 'tlz4', ['lz4', '-q', '-c']],
    ['lzop', 'tar.lzo', ['lzop', '-c']],
    ['compress', 'tar.Z', ['compress', '-c']],
  ];
  for (const [compression, suffix, [cmd, ...args]] of programs) {
    it(`.${suffix} (${compression}), and the same bytes under a name that says nothing`, async () => {
      const dir = tempDir();
      const raw = join(dir, 'x.tar');
      writeFileSync(raw, craftTar([{ name: 'hello.txt', content: `read through ${compression}\n` }]));
      const packed = toolBytes(cmd!, [...args, raw]);
      for (const name of [`x.${suffix}`, 'nightly.bin']) {
        const file = join(dir, name);
        writeFileSync(file, packed);
        const run = await runCli(['deep', file, '--json']);
        expect(run.code, `${name}: ${run.stdout}${run.stderr}`).toBe(0);
        const [r] = parseJsonOutput(run).results;
        expect(r!.archive).toMatchObject({ format: `tar+${compression}`, entries: 1, files: 1 });
      }
    });
  }

  it('a missing program is "could not check" (exit 2) naming its Debian package, never damage', async () => {
    const dir = tempDir();
    const raw = join(dir, 'x.tar');
    writeFileSync(raw, craftTar([{ name: 'a.txt', content: 'a\n' }]));
    const file = join(dir, 'x.tar.lz4');
    writeFileSync(file, toolBytes('lz4', ['-q', '-c', raw]));
    for (const command of ['deep', 'restore-test']) {
      const run = await runCli([command, file], { env: { PATH: '/nonexistent' } });
      expect(run.code).toBe(2);
      expect(run.stdout + run.stderr).toContain('lz4 is not installed; it is needed to read lz4 backups (Debian: apt-get install lz4)');
    }
  });
});
