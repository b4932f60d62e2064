import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inflateFrom } from '../src/core/salvage/deflate-points.js';
import type { SalvageReport } from '../src/core/salvage/salvage.js';
import { salvageText } from '../src/output/salvage-report.js';
import { tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { textTree } from './helpers/text-tree.js';
import { craftTar } from './helpers/tar-craft.js';

/** Every regular file under `dir`, by path relative to it. */
function filesUnder(dir: string, base = dir, out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, base, out);
    else if (e.isFile()) out.set(relative(base, p), readFileSync(p));
  }
  return out;
}

/** Changes `n` bytes at `at` (XOR 0x5a), as a bad sector or a stray write would. */
function damaged(src: string, dest: string, at: number, n = 16): string {
  const data = readFileSync(src);
  for (let i = 0; i < n; i++) data[at + i]! ^= 0x5a;
  writeFileSync(dest, data);
  return dest;
}

/** What GNU tar extracts from the same archive, for comparison. */
function gnuTarCount(archive: string, flag: string): number {
  const into = join(tempDir(), 'gnu');
  mkdirSync(into);
  spawnSync('tar', [flag, '-xf', archive, '-C', into], { stdio: 'ignore' });
  return filesUnder(into).size;
}

interface Report {
  counts: { verified: number; recovered: number; damaged: number; lost: number };
  missing: { path: string; state: string; offset?: number; size: number }[];
  losses: { from: number; to: number; why: string }[];
  resumes: { compressed: number; uncompressed?: number; how: string }[];
}

async function salvage(archive: string): Promise<{ code: number | null; report: Report; out: string; stdout: string }> {
  const out = join(tempDir(), 'out');
  const run = await runCli(['salvage', archive, '--out', out, '--json']);
  return { code: run.code, report: JSON.parse(run.stdout) as Report, out, stdout: run.stdout };
}

/** A folder for a whole describe block (tempDir's are removed after each test). */
function blockDir(): () => string {
  let dir = '';
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'restorable-salvage-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

describe('salvage of a .tar.gz of small text files', () => {
  const folder = blockDir();
  let dir: string;
  let files: Map<string, Buffer>;
  let gz: string;
  beforeAll(async () => {
    dir = folder();
    const tree = textTree(dir, 6000, 6000);
    files = tree.files;
    gz = join(dir, 'docs.tar.gz');
    execFileSync('sh', ['-c', `gzip -6 -n -c '${tree.tar}' > '${gz}'`]);
    const made = await runCli(['manifest', gz, '--contents']);
    expect(made.code, made.stderr).toBe(0);
  }, 120_000);

  it('places restart points that decode to the archive’s own bytes, in under 2% of its size', () => {
    const index = JSON.parse(readFileSync(`${gz}.contents.json`, 'utf8'));
    const tar = readFileSync(join(dir, 'docs.tar'));
    const archive = readFileSync(gz);
    const points = index.restart_points as { compressed: number; bit?: number; uncompressed: number; window: string }[];
    expect(points.length).toBeGreaterThan(10);
    let windows = 0;
    for (const p of points) {
      const window = inflateRawSync(Buffer.from(p.window, 'base64'));
      windows += p.window.length;
      expect(window.equals(tar.subarray(p.uncompressed - window.length, p.uncompressed))).toBe(true);
      const out = inflateFrom(archive.subarray(p.compressed, p.compressed + 64 * 1024), p.bit ?? 0, window);
      expect(out.length).toBeGreaterThan(64 * 1024);
      expect(out.equals(tar.subarray(p.uncompressed, p.uncompressed + out.length))).toBe(true);
    }
    expect(windows / archive.length).toBeLessThan(0.02);
  });

  it('on a healthy archive verifies every member and writes each byte-identical', async () => {
    const { code, report, out } = await salvage(gz);
    expect(code).toBe(0);
    expect(report.counts).toEqual({ verified: files.size, recovered: 0, damaged: 0, lost: 0 });
    const got = filesUnder(out);
    expect(got.size).toBe(files.size);
    for (const [path, data] of files) expect(got.get(path)?.equals(data), path).toBe(true);
  });

  it('with 16 bytes changed mid-stream and the content index, recovers at least 95% of the members, each verified', async () => {
    const size = statSync(gz).size;
    const at = Math.floor(size / 2);
    const bad = damaged(gz, join(dir, 'bad.tar.gz'), at);
    copyFileSync(`${gz}.contents.json`, `${bad}.contents.json`);
    const { code, report, out } = await salvage(bad);
    expect(code).toBe(1);
    expect(report.counts.verified / files.size).toBeGreaterThanOrEqual(0.95);
    // What is missing lies between the damage and the next restart point: nothing else is lost.
    const index = JSON.parse(readFileSync(`${gz}.contents.json`, 'utf8'));
    const next = (index.restart_points as { compressed: number; uncompressed: number }[]).find((p) => p.compressed > at)!;
    const before = (index.checkpoints as { compressed: number; uncompressed: number }[]).filter((c) => c.compressed <= at - 64 * 1024).pop()!;
    for (const m of report.missing.filter((m) => m.size > 0)) {
      expect(m.offset! + m.size, m.path).toBeGreaterThan(before.uncompressed);
      expect(m.offset!, m.path).toBeLessThan(next.uncompressed);
    }
    expect(report.missing.length).toBeGreaterThan(0);
    // Everything written is the original, byte for byte.
    const got = filesUnder(out);
    expect(got.size).toBe(report.counts.verified);
    for (const [path, data] of got) expect(data.equals(files.get(path)!), path).toBe(true);
    // GNU tar stops at the first header the damage spoils.
    expect(gnuTarCount(bad, '-z')).toBeLessThan(report.counts.verified * 0.8);
    // The text report (the command prints this same report as text) names the damage and the lost members.
    const text = salvageText(report as unknown as SalvageReport);
    expect(text).toMatch(/verified against the content index/);
    // zlib decoded on past the change; the first restart point after it finds the output wrong and
    // names the span between it and the last point where the output was right.
    expect(text).toMatch(/damage: compressed bytes [\d,]+–[\d,]+: gzip: the output before a restart point differs from the window the content index stored there/);
    const loss = report.losses.find((l) => /restart point differs/.test(l.why))!;
    expect(loss.from).toBeLessThanOrEqual(at);
    expect(loss.to).toBe(next.compressed);
    expect(text).toMatch(/lost: docs\/part\d+\/page\d+\.md \(bytes [\d,]+–[\d,]+ of the tar\)/);
    expect(text).toMatch(/-v lists them all/);
  });

  it('without an index, recovers what precedes the damage, unverified, and says the rest is wrong', async () => {
    const bad = damaged(gz, join(tempDir(), 'bad.tar.gz'), Math.floor(statSync(gz).size / 2));
    const { code, report, out, stdout } = await salvage(bad);
    expect(code).toBe(1);
    expect(report.counts.verified).toBe(0);
    expect(report.counts.recovered).toBeGreaterThan(files.size / 3);
    // The change broke no deflate rule: only the gzip CRC tells, at the end. The output after the
    // change copies from what the change spoiled, so no member after it is believed, as with GNU tar.
    expect(report.losses.map((l) => l.why).join()).toMatch(/fails its CRC/);
    expect(report.counts.recovered).toBeGreaterThanOrEqual(gnuTarCount(bad, '-z'));
    const got = filesUnder(out);
    let same = 0;
    for (const [path, data] of got) if (data.equals(files.get(path)!)) same++;
    // Members before the change are the originals; at most the one it fell in is not.
    expect(same).toBeGreaterThanOrEqual(got.size - 1);
    expect(stdout).not.toMatch(/"verified":\s*[1-9]/);
  });

});

describe('salvage of multi-frame zstd and multi-block xz', () => {
  const folder = blockDir();
  let dir: string;
  let files: Map<string, Buffer>;
  let tar: string;
  beforeAll(() => {
    dir = folder();
    ({ tar, files } = textTree(dir, 1500, 3000));
  }, 60_000);

  /** Members recovered byte-identical to the original, of those whose data lies after `fromByte` of the tar. */
  function after(out: string, tarBytes: Buffer, fromByte: number): { recovered: number; total: number } {
    const got = filesUnder(out);
    let total = 0;
    let recovered = 0;
    for (const [path, data] of files) {
      const at = tarBytes.indexOf(data);
      if (at < fromByte) continue;
      total++;
      if (got.get(path)?.equals(data)) recovered++;
    }
    return { recovered, total };
  }

  it('zstd: a damaged frame is lost, the frames after it are read', async () => {
    // Frames of 256 KiB of input each, as pzstd and `zstd --rsyncable` write many.
    const data = readFileSync(tar);
    const frames: Buffer[] = [];
    for (let at = 0; at < data.length; at += 256 * 1024) frames.push(execFileSync('zstd', ['-q', '-c', '-3'], { input: data.subarray(at, at + 256 * 1024) }));
    const zst = join(dir, 'docs.tar.zst');
    writeFileSync(zst, Buffer.concat(frames));
    const hit = Math.floor(frames.length / 2);
    const offset = frames.slice(0, hit).reduce((n, f) => n + f.length, 0) + 100;
    const bad = damaged(zst, join(dir, 'bad.tar.zst'), offset);
    const { code, report, out } = await salvage(bad);
    expect(code).toBe(1);
    expect(report.resumes.map((r) => r.how)).toContain('at the next zstd frame');
    const { recovered, total } = after(out, data, (hit + 1) * 256 * 1024);
    expect(recovered / total).toBeGreaterThanOrEqual(0.9);
    expect(gnuTarCount(bad, '--zstd')).toBeLessThan(files.size * 0.6);
    for (const [path, got] of filesUnder(out)) expect(got.equals(files.get(path)!), path).toBe(true);

    // The deep check says the same: it runs the same machinery past the damage, so its "lost" is salvage's.
    const checked = await runCli(['deep', bad, '--json']);
    expect(checked.code).toBe(1);
    const result = parseJsonOutput(checked).results[0]!;
    expect(result.salvage.past).toEqual({ ...report.counts, resumedAt: report.resumes.map((r) => r.compressed) });
    const stopped = (result.findings as { message: string }[]).find((f) => f.message.startsWith('reading stopped'))!.message;
    expect(stopped).toMatch(new RegExp(`past the damage, salvage picks up again at byte \\d+ of the file and gets back ${report.counts.recovered} of ${report.counts.recovered + report.counts.damaged + report.counts.lost} files \\(unverified: no content index vouches for them\\)`));
    expect(stopped).not.toMatch(/everything after it is lost/);
  });

  it('bzip2: a damaged block is lost, the blocks after it are found by their magic and read', async () => {
    const bz = join(dir, 'docs.tar.bz2');
    execFileSync('sh', ['-c', `bzip2 -1 -c '${tar}' > '${bz}'`]);
    const data = readFileSync(tar);
    const healthy = await salvage(bz);
    expect(healthy.code).toBe(0);
    expect(healthy.report.counts.recovered).toBe(files.size);
    const bad = damaged(bz, join(dir, 'bad.tar.bz2'), Math.floor(statSync(bz).size / 2));
    const { code, report, out } = await salvage(bad);
    expect(code).toBe(1);
    expect(report.losses).toHaveLength(1);
    expect(report.losses[0]!.why).toBe('bzip2: Data integrity error when decompressing.');
    expect(report.resumes.map((r) => r.how)).toEqual(['at the next bzip2 block']);
    // A bzip2 -1 block holds at most 100 kB of the tar: what follows the damaged one comes back.
    const { recovered, total } = after(out, data, Math.floor(data.length / 2) + 200_000);
    expect(recovered / total).toBeGreaterThanOrEqual(0.9);
    expect(gnuTarCount(bad, '-j')).toBeLessThan(files.size * 0.6);
    for (const [path, got] of filesUnder(out)) expect(got.equals(files.get(path)!), path).toBe(true);
  });

  it('xz: a damaged block is lost, the blocks after it are read', async () => {
    const xz = join(dir, 'docs.tar.xz');
    execFileSync('sh', ['-c', `xz -T1 -1 --block-size=262144 -c '${tar}' > '${xz}'`]);
    const data = readFileSync(tar);
    const bad = damaged(xz, join(dir, 'bad.tar.xz'), Math.floor(statSync(xz).size / 2));
    const { code, report, out } = await salvage(bad);
    expect(code).toBe(1);
    expect(report.losses[0]!.why).toMatch(/^xz: /);
    expect(report.resumes.map((r) => r.how)).toContain('at the next xz block');
    const resumedAt = report.resumes[0]!.uncompressed!;
    const { recovered, total } = after(out, data, resumedAt);
    expect(recovered / total).toBeGreaterThanOrEqual(0.9);
    for (const [path, got] of filesUnder(out)) expect(got.equals(files.get(path)!), path).toBe(true);
  });
});

describe('salvage: plain tar, hostile names and refusals', () => {
  it('a plain tar with a spoiled header loses that member only', async () => {
    const dir = tempDir();
    const members = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}.txt`, content: Buffer.from(`file ${i}\n`.repeat(50 + i)) }));
    const tar = craftTar(members);
    const third = tar.indexOf(Buffer.from('f3.txt'));
    tar[third + 140]! ^= 0xff; // inside the header: its checksum fails
    const file = join(dir, 'x.tar');
    writeFileSync(file, tar);
    const { code, report, out } = await salvage(file);
    expect(code).toBe(1);
    const got = filesUnder(out);
    expect(got.size).toBe(19);
    expect(got.has('f3.txt')).toBe(false);
    expect(got.get('f4.txt')?.equals((members[4]!.content as Buffer))).toBe(true);
    expect(report.counts.recovered).toBe(19);
  });

  it('keeps every member inside the folder, through the same sandbox as the restore test', async () => {
    const dir = tempDir();
    const file = join(dir, 'evil.tar');
    writeFileSync(file, craftTar([{ name: '../escape.txt', content: 'x' }, { name: 'ok.txt', content: 'fine' }]));
    const out = join(dir, 'out');
    const run = await runCli(['salvage', file, '--out', out]);
    expect(readdirSync(dir).sort()).toEqual(['evil.tar', 'out']);
    expect(readdirSync(out)).toEqual(['ok.txt']);
    expect(run.stdout).toMatch(/refused \.\.\/escape\.txt/);
  });

  it('refuses a folder that is not empty, and a file that is not tar, with exit 2', async () => {
    const dir = tempDir();
    const tar = join(dir, 'a.tar');
    writeFileSync(tar, craftTar([{ name: 'a', content: 'a' }]));
    mkdirSync(join(dir, 'full'));
    writeFileSync(join(dir, 'full', 'keep'), 'mine');
    const full = await runCli(['salvage', tar, '--out', join(dir, 'full')]);
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/full: not empty/);
    expect(readFileSync(join(dir, 'full', 'keep'), 'utf8')).toBe('mine');
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello\n');
    const other = await runCli(['salvage', text, '--out', join(dir, 'o')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/salvage reads tar archives/);
  });
});
