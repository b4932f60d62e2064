import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';

// What the bytes of a damaged region say happened to them, with and without a healthy copy.
// The backup is 8 MiB of high-entropy bytes under a gzip header (as compressed data looks),
// with a manifest and a block map of 1 MiB blocks made by restorable itself.
const MiB = 1024 * 1024;
let dir = '';
let good = '';
let backup = '';

beforeAll(async () => {
  // kept for the whole file: the manifest is made once
  dir = mkdtempSync(join(tmpdir(), 'restorable-forensics-'));
  good = join(dir, 'good.bin');
  const data = bytes('forensics', 8 * MiB);
  data.set([0x1f, 0x8b, 0x08], 0);
  writeFileSync(good, data);
  backup = join(dir, 'site.tar.gz');
  copyFileSync(good, backup);
  const made = await runCli(['manifest', backup, '--blocks']);
  expect(made.code, made.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The backup damaged by `damage`, verified (with --against the other copy when asked): its regions. */
async function regionsAfter(damage: (b: Buffer) => Buffer | void, against = false) {
  const b = Buffer.from(readFileSync(good));
  writeFileSync(backup, damage(b) ?? b);
  const run = await runCli(['verify', backup, '--json', ...(against ? ['--against', good] : [])]);
  expect(run.code, run.stderr).toBe(1);
  return parseJsonOutput(run).results[0]!.regions as { kind: string; offset: number; forensics: { kind: string; summary: string; diff?: { bytes: number; bits: number; bursts: unknown[] }; zeroRuns?: { aligned?: number }[] } }[];
}

describe('damage forensics', () => {
  it('a zeroed 4 KiB sector: zeros on a 4 KiB boundary, a lost write; against the copy, the same', async () => {
    const zero = (b: Buffer) => void b.fill(0, 300 * 4096, 301 * 4096);
    const [r] = await regionsAfter(zero);
    expect(r!.forensics.kind).toBe('zeros');
    expect(r!.forensics.zeroRuns![0]!.aligned).toBe(4096);
    expect(r!.forensics.summary).toMatch(/^4,096 zero bytes at byte 1,228,800, on a 4 KiB boundary, where compressed data has none: a lost write or a zeroed sector$/);
    const [vs] = await regionsAfter(zero, true);
    expect(vs!.forensics.summary).toMatch(/bytes turned to zero against the other copy at byte 1,228,800, on a 4 KiB boundary: a lost write or a zeroed sector$/);
  });

  it('three bit flips: nothing shows without a copy; against it, exactly 3 isolated bit flips', async () => {
    const flip = (b: Buffer) => {
      b[3 * MiB + 100]! ^= 0x01;
      b[3 * MiB + 5000]! ^= 0x10;
      b[3 * MiB + 90000]! ^= 0x80;
    };
    const [alone] = await regionsAfter(flip);
    expect(alone!.forensics.kind).toBe('unknown');
    expect(alone!.forensics.summary).toMatch(/another copy \(--against COPY\) would say exactly which bytes changed/);
    const [vs] = await regionsAfter(flip, true);
    expect(vs!.forensics.kind).toBe('bit-flips');
    expect(vs!.forensics.diff).toMatchObject({ bytes: 3, bits: 3 });
    expect(vs!.forensics.diff!.bursts).toHaveLength(3);
    expect(vs!.forensics.summary).toMatch(/^3 isolated bit flips against the other copy in 3 bursts .*: memory or transport/);
  });

  it('truncation, an appended tail, text written over it, a fill pattern: each named', async () => {
    copyFileSync(good, backup);
    truncateSync(backup, 6_000_000);
    const [cut] = parseJsonOutput(await runCli(['verify', backup, '--json'])).results[0]!.regions;
    expect(cut.forensics.kind).toBe('truncated');
    expect(cut.forensics.summary).toMatch(/^the file ends at byte 6,000,000, 2,388,608 bytes short of its manifest: truncated/);

    copyFileSync(good, backup);
    appendFileSync(backup, 'tail of another file\n'.repeat(20));
    const appended = parseJsonOutput(await runCli(['verify', backup, '--json'])).results[0]!.regions.find((r: { kind: string }) => r.kind === 'extra');
    expect(appended.forensics.kind).toBe('appended');
    expect(appended.forensics.summary).toMatch(/^420 bytes beyond the manifest's size, from byte 8,388,608: appended .*text/);

    const log = Buffer.from('Dec  1 20:00:01 host sshd[123]: Accepted publickey for root\n'.repeat(40));
    const [text] = await regionsAfter((b) => void log.copy(b, 2_000_000));
    expect(text!.forensics.kind).toBe('text');
    expect(text!.forensics.summary).toMatch(/bytes of text at byte 2,000,000 \(“.*sshd\[123\]: Accepted.*”\) where the backup holds compressed data: overwritten/);

    const [fill] = await regionsAfter((b) => void b.fill(Buffer.from([0xde, 0xad, 0xbe, 0xef]), 5 * MiB + 12, 5 * MiB + 12 + 8192));
    expect(fill!.forensics.kind).toBe('pattern');
    expect(fill!.forensics.summary).toMatch(/^a 4-byte pattern \(de ad be ef\) repeated over 8,19\d bytes at byte 5,242,89\d: overwritten by a fill pattern$/);
  });
});
