import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes } from './helpers/fixtures.js';
import { CLI, parseJsonOutput, runCli } from './helpers/run-cli.js';
import { TestSshd } from './helpers/sshd.js';
import { useTmpDirs } from './helpers/tmp.js';

// Locating damage between copies without a block map. Copies "on another
// machine" are reached through a real OpenSSH server on loopback, started
// here, as users reach theirs: restorable runs there and only digests and
// the differing bytes cross.
const MiB = 1024 * 1024;
const sshd = new TestSshd();
const tmp = useTmpDirs('restorable-compare-');
const remote = (path: string) => `127.0.0.1:${path}`;
const overSsh = () => ['--rsh', sshd.rsh, '--remote-command', `${process.execPath} ${CLI}`];

beforeAll(() => sshd.start());
afterAll(() => sshd.stop());

interface Report {
  leafSize: number;
  copies: { name: string; size: number; readThere: number; moved: number; right?: boolean; manifest?: { ok: boolean } }[];
  regions: { offset: number; length: number; exact: boolean; groups: number[]; described?: number; forensics?: { kind: string; summary: string; diff?: { bits: number } } }[];
  right?: number;
  judge?: string;
  repaired: { path: string; fetchedBytes: number; damaged?: string }[];
}
const report = (run: Awaited<ReturnType<typeof runCli>>) => parseJsonOutput(run) as unknown as Report;

/** The first and last byte where two buffers differ. */
function differingSpan(a: Buffer, b: Buffer): { offset: number; length: number } {
  let first = 0;
  while (a[first] === b[first]) first++;
  let last = a.length - 1;
  while (a[last] === b[last]) last--;
  return { offset: first, length: last + 1 - first };
}

describe('compare: where copies differ, without a block map', () => {
  it('two 256 MiB copies over ssh, one damaged MiB: located to the byte while under 1% of each copy crosses', async () => {
    const dir = await tmp();
    const good = bytes('compare-256', 256 * MiB);
    const bad = Buffer.from(good);
    // A MiB overwritten with other bytes, at an offset no leaf or sector lines up with.
    const at = 100 * MiB + 12_345;
    bytes('other data', MiB).copy(bad, at);
    writeFileSync(join(dir, 'a.tar.gz'), good);
    writeFileSync(join(dir, 'b.tar.gz'), bad);
    const run = await runCli(['compare', remote(join(dir, 'a.tar.gz')), remote(join(dir, 'b.tar.gz')), ...overSsh(), '--json']);
    expect(run.code, run.stderr).toBe(1);
    const r = report(run);
    expect(r.regions).toHaveLength(1);
    expect(r.regions[0]).toMatchObject({ ...differingSpan(good, bad), exact: true, groups: [0, 1] });
    for (const c of r.copies) {
      // Each copy is read once where it lies; what crosses is digests and the differing MiB.
      expect(c.readThere).toBeGreaterThanOrEqual(256 * MiB);
      expect(c.moved).toBeLessThan(0.1 * 256 * MiB);
      expect(c.moved).toBeLessThan(0.01 * 256 * MiB);
    }
    // Two copies and no manifest: nothing says which is right, and the report does not guess.
    expect(r.right).toBeUndefined();
    expect(r.copies.every((c) => c.right === undefined)).toBe(true);
    const text = await runCli(['compare', remote(join(dir, 'a.tar.gz')), remote(join(dir, 'b.tar.gz')), ...overSsh()]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/1 region differs \(1 MiB\)/);
    expect(text.stdout).toMatch(/right: not known: two copies cannot outvote each other/);
    expect(text.stdout).not.toMatch(/verified|intact/);
  });

  it('the manifest says which copy is right; --heal repairs the local one from the copy over ssh, checked whole', async () => {
    const dir = await tmp();
    const good = bytes('compare-heal', 8 * MiB);
    writeFileSync(join(dir, 'far.tar.gz'), good);
    const local = join(dir, 'db.tar.gz');
    const damaged = Buffer.from(good);
    damaged.fill(0, 3 * MiB, 3 * MiB + 4096); // a lost write: one 4 KiB sector of zeros
    writeFileSync(local, damaged);
    // The manifest as coreutils writes it, of the good bytes.
    writeFileSync(`${local}.sha256`, execFileSync('sha256sum', [join(dir, 'far.tar.gz')]).toString().replace(/\s.*$/s, '  db.tar.gz\n'));
    const run = await runCli(['compare', local, remote(join(dir, 'far.tar.gz')), ...overSsh(), '--heal', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const r = report(run);
    expect(r.judge).toBe('manifest');
    expect(r.right).toBe(1);
    expect(r.copies.map((c) => c.manifest?.ok)).toEqual([false, true]);
    expect(r.regions).toHaveLength(1);
    expect(r.regions[0]).toMatchObject({ offset: 3 * MiB, length: 4096, described: 0 });
    expect(r.regions[0]!.forensics).toMatchObject({ kind: 'zeros', summary: expect.stringMatching(/^4,0\d\d bytes turned to zero against the other copy at byte 3,145,728, on a 4 KiB boundary: a lost write/) });
    expect(r.repaired).toEqual([expect.objectContaining({ path: `${local}.healed`, fetchedBytes: 4096 })]);
    expect(readFileSync(`${local}.healed`).equals(good)).toBe(true);
    expect(readFileSync(local).equals(damaged)).toBe(true); // the damaged copy is left as it was

    // --replace swaps the repaired file in and keeps the damaged one beside it.
    const swap = await runCli(['compare', local, remote(join(dir, 'far.tar.gz')), ...overSsh(), '--heal', '--replace']);
    expect(swap.code, swap.stderr).toBe(0);
    expect(swap.stdout).toMatch(/✓ healed .*db\.tar\.gz: 1 region \(4 KiB\) from the right copy, the whole file checked; the damaged copy is kept as .*db\.tar\.gz\.damaged/);
    expect(readFileSync(local).equals(good)).toBe(true);
    expect(readFileSync(`${local}.damaged`).equals(damaged)).toBe(true);
    const again = await runCli(['compare', local, remote(join(dir, 'far.tar.gz')), ...overSsh()]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/every copy holds the same bytes, and they are what the manifest says/);
  });

  it('three copies and no manifest: the majority is right; three bit flips read as memory or transport', async () => {
    const dir = await tmp();
    const good = bytes('compare-three', 6 * MiB);
    const flipped = Buffer.from(good);
    for (const at of [1_000_000, 1_000_100, 1_000_200]) flipped[at] = flipped[at]! ^ 0x10;
    writeFileSync(join(dir, 'a.tar.zst'), good);
    writeFileSync(join(dir, 'b.tar.zst'), flipped);
    writeFileSync(join(dir, 'c.tar.zst'), good);
    const run = await runCli(['compare', join(dir, 'a.tar.zst'), join(dir, 'b.tar.zst'), remote(join(dir, 'c.tar.zst')), ...overSsh(), '--json', '--heal']);
    expect(run.code, run.stderr).toBe(0);
    const r = report(run);
    expect(r.judge).toBe('majority');
    expect(r.copies.map((c) => c.right)).toEqual([true, false, true]);
    expect(r.right).toBe(0); // the copy on this machine, the cheapest to repair from
    expect(r.regions).toEqual([expect.objectContaining({ offset: 1_000_000, length: 201, groups: [0, 1, 0], described: 1 })]);
    expect(r.regions[0]!.forensics).toMatchObject({ kind: 'bit-flips', diff: { bits: 3 }, summary: expect.stringMatching(/^3 isolated bit flips .*memory or transport/) });
    expect(readFileSync(join(dir, 'b.tar.zst.healed')).equals(good)).toBe(true);
  });

  it('a truncated and an appended copy, judged by the manifest: cut short and grown, with where and by how much', async () => {
    const dir = await tmp();
    const good = bytes('compare-sizes', 5 * MiB);
    for (const name of ['good.tar.xz', 'short.tar.xz', 'long.tar.xz']) writeFileSync(join(dir, name), good);
    truncateSync(join(dir, 'short.tar.xz'), 3 * MiB + 7);
    appendFileSync(join(dir, 'long.tar.xz'), 'log line: something wrote here\n'.repeat(40));
    const sum = execFileSync('sha256sum', ['good.tar.xz'], { cwd: dir }).toString();
    for (const name of ['short.tar.xz', 'long.tar.xz']) writeFileSync(join(dir, `${name}.sha256`), sum.replace('good.tar.xz', name));

    const cut = report(await runCli(['compare', join(dir, 'short.tar.xz'), remote(join(dir, 'good.tar.xz')), ...overSsh(), '--json']));
    expect(cut.copies.map((c) => c.right)).toEqual([false, true]);
    expect(cut.regions).toEqual([expect.objectContaining({ offset: 3 * MiB + 7, length: 2 * MiB - 7, described: 0 })]);
    expect(cut.regions[0]!.forensics).toMatchObject({ kind: 'truncated', summary: expect.stringMatching(/^the file ends at byte 3,145,735, 2,097,145 bytes short of copy b: truncated/) });
    // The missing 2 MiB need not cross to say they are missing: only digests do.
    expect(cut.copies[1]!.moved).toBeLessThan(64 * 1024);

    const grown = report(await runCli(['compare', join(dir, 'long.tar.xz'), remote(join(dir, 'good.tar.xz')), ...overSsh(), '--json']));
    expect(grown.regions).toEqual([expect.objectContaining({ offset: 5 * MiB, length: 31 * 40, described: 0 })]);
    expect(grown.regions[0]!.forensics).toMatchObject({ kind: 'appended', summary: expect.stringMatching(/^1,240 bytes beyond copy b's end, from byte 5,242,880: appended/) });
  });

  it('identical copies: the same bytes, and "right" only when a manifest says so', async () => {
    const dir = await tmp();
    const data = bytes('compare-same', 3 * MiB);
    writeFileSync(join(dir, 'a.tar.gz'), data);
    writeFileSync(join(dir, 'b.tar.gz'), data);
    const bare = await runCli(['compare', join(dir, 'a.tar.gz'), join(dir, 'b.tar.gz')]);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toMatch(/every copy holds the same bytes \(nothing says they are right: no manifest digest was found\)/);
    // Both copies the same, and both unlike the manifest: damaged (exit 1), never "same" as a pass.
    writeFileSync(join(dir, 'a.tar.gz.sha256'), `${'0'.repeat(64)}  a.tar.gz\n`);
    const wrong = await runCli(['compare', join(dir, 'a.tar.gz'), join(dir, 'b.tar.gz')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/every copy holds the same bytes, but not what the manifest says/);
  });

  it('what cannot be compared is exit 2 with the copy named; damage nothing judges is not healed, and says so', async () => {
    const dir = await tmp();
    writeFileSync(join(dir, 'a.tar.gz'), bytes('compare-errors', MiB));
    const missing = await runCli(['compare', join(dir, 'a.tar.gz'), join(dir, 'nowhere.tar.gz')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nowhere\.tar\.gz: no such file/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const farMissing = await runCli(['compare', join(dir, 'a.tar.gz'), remote(join(dir, 'gone.tar.gz')), ...overSsh()]);
    expect(farMissing.code).toBe(2);
    expect(farMissing.stderr).toMatch(/127\.0\.0\.1:.*gone\.tar\.gz: .*gone\.tar\.gz: no such file/);
    const noTool = await runCli(['compare', join(dir, 'a.tar.gz'), remote(join(dir, 'a.tar.gz')), '--rsh', sshd.rsh, '--remote-command', '/nonexistent/restorable']);
    expect(noTool.code).toBe(2);
    expect(noTool.stderr).toMatch(/127\.0\.0\.1:.*: the far side ended \(exit 127\): .*\/nonexistent\/restorable: (No such file|not found)/);
    const one = await runCli(['compare', join(dir, 'a.tar.gz')]);
    expect(one.code).toBe(2);

    const other = Buffer.from(readFileSync(join(dir, 'a.tar.gz')));
    other[500] = other[500]! ^ 1;
    writeFileSync(join(dir, 'b.tar.gz'), other);
    const unjudged = await runCli(['compare', join(dir, 'a.tar.gz'), join(dir, 'b.tar.gz'), '--heal']);
    expect(unjudged.code).toBe(1);
    expect(unjudged.stdout).toMatch(/not healed: a, b: no copy is known to be right/);
    expect(existsSync(join(dir, 'a.tar.gz.healed')) || existsSync(join(dir, 'b.tar.gz.healed'))).toBe(false);
  });
});
