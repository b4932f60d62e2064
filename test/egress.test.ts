import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cReference, crc64nvmeReference } from './helpers/crc-reference.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { bytes, tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { MotoServer, S3_ENV } from './helpers/s3-server.js';

/**
 * Proof at rest without egress: the checksums a bucket keeps per object
 * judge copies with nothing downloaded. moto keeps the CRC64NVME, CRC32C
 * or SHA-256 the AWS SDK computed on upload; a proxy in front of it counts
 * every byte of every response body, so "nothing downloaded" is measured
 * at the wire, not taken from our own report.
 */

const MiB = 1024 * 1024;
// Small, for moto decodes every upload in Python: 2 MiB and 3 blocks judge as well as more.
const SIZE = 2 * MiB + 999;
const good = bytes('egress-good', SIZE);
const damaged = Buffer.from(good);
for (let i = MiB + 4096; i < MiB + 4096 + 64; i++) damaged[i] = damaged[i]! ^ 0x21;
const KEY = 'nightly/db-2026-11-20.img';

const moto = new MotoServer();
const proxy = new FaultProxy(() => moto.port);
beforeAll(async () => {
  await moto.start();
  await proxy.start();
});
afterAll(async () => {
  await proxy.stop();
  await moto.stop();
});

const objectGets = () => proxy.seen.filter((r) => r.method === 'GET' && !r.url.includes('list-type'));
const viaProxy = (bucket: string) => `s3://${bucket}/nightly?endpoint=${encodeURIComponent(proxy.endpoint)}`;

async function bucketWith(bucket: string, body: Buffer, checksum?: 'CRC64NVME' | 'CRC32C' | 'SHA256'): Promise<string> {
  await moto.bucket(bucket);
  await moto.put(bucket, KEY, body, { checksum });
  return viaProxy(bucket);
}

/** A backup and its manifests in a folder of its own (no local copy unless asked: the buckets alone are judged). */
async function manifested(name: string, extra: string[] = []): Promise<{ dir: string; manifests: string; env: NodeJS.ProcessEnv }> {
  const dir = tempDir();
  const manifests = join(dir, 'manifests', 'nightly');
  const file = join(dir, 'db-2026-11-20.img');
  writeFileSync(file, good);
  const env = { ...S3_ENV, XDG_STATE_HOME: join(dir, 'state') };
  expect((await runCli(['manifest', '--blocks', ...extra, file], { env })).code).toBe(0);
  await moto.bucket(`${name}-manifests`);
  for (const suffix of ['.manifest.json', '.blocks.json']) await moto.put(`${name}-manifests`, `${KEY}${suffix}`, readFileSync(`${file}${suffix}`));
  return { dir, manifests, env };
}

describe('zero-egress evidence', () => {
  it('a stored CRC64NVME or CRC32C vouches for a copy, and one that disagrees is damage, with not one byte downloaded', async () => {
    const { env } = await manifested('crc');
    const args = [
      '--manifest-location', viaProxy('crc-manifests'),
      '--location', `aws=${await bucketWith('crc-aws', good, 'CRC64NVME')}`,
      '--location', `r2=${await bucketWith('crc-r2', good, 'CRC32C')}`,
      '--location', `rot=${await bucketWith('crc-rot', damaged, 'CRC64NVME')}`,
    ];
    proxy.clear();
    const run = await runCli(['locations', ...args, '--all', '--json'], { env });
    expect(run.code, run.stderr).toBe(1);
    // The manifests are downloaded (they are small); no copy is.
    expect(objectGets().filter((r) => !/\.json(\?|$)/.test(r.url))).toEqual([]);
    expect(proxy.bodyBytes).toBeLessThan(8 * 1024);
    const copies = Object.fromEntries(parseJsonOutput(run).results.map((r) => [r.copy.location, r]));
    expect(copies.aws).toMatchObject({ status: 'verified', copy: { evidence: 'checksum-crc64nvme', bytesRead: 0 } });
    expect(copies.r2).toMatchObject({ status: 'verified', copy: { evidence: 'checksum-crc32c', bytesRead: 0 } });
    expect(copies.rot).toMatchObject({ status: 'hash_mismatch', copy: { evidence: 'checksum-crc64nvme', bytesRead: 0 } });
    expect(copies.rot.findings[0].message).toContain(`crc64nvme is ${crc64nvmeReference(damaged)}, the manifest's ${crc64nvmeReference(good)}`);

    // The text report says which evidence judged each copy and what was downloaded.
    const text = await runCli(['locations', ...args, '--all', '-v'], { env });
    expect(text.stdout).toMatch(/verified .*aws.*x-amz-checksum-crc64nvme, nothing downloaded/);
    expect(text.stdout).toMatch(/verified .*r2.*x-amz-checksum-crc32c, nothing downloaded/);
    // So does the ledger.
    const ledger = JSON.parse(readFileSync(join(env.XDG_STATE_HOME!, 'restorable', 'ledger.json'), 'utf8'));
    expect(ledger.locations['db-2026-11-20.img'].rot.last_integrity_check).toMatchObject({ status: 'hash_mismatch', evidence: 'checksum-crc64nvme', bytes_read: 0 });
  });

  it('a manifest without CRCs learns them from one verified read, and the store\'s checksum vouches from then on', async () => {
    const { dir, env } = await manifested('learn', ['--no-crc']);
    const file = join(dir, 'db-2026-11-20.img');
    const args = ['--location', `aws=${await bucketWith('learn-aws', good, 'CRC64NVME')}`, '--location', `r2=${await bucketWith('learn-r2', good, 'CRC32C')}`];
    // The local copy is read in full: that read computes the CRCs the buckets carry.
    const first = await runCli(['locations', file, ...args, '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    const copies = Object.fromEntries(parseJsonOutput(first).results.map((r) => [r.copy.location, r.copy]));
    expect(copies.aws).toMatchObject({ evidence: 'checksum-crc64nvme', bytesRead: 0 });
    expect(copies.r2).toMatchObject({ evidence: 'checksum-crc32c', bytesRead: 0 });
    const ledger = JSON.parse(readFileSync(join(env.XDG_STATE_HOME!, 'restorable', 'ledger.json'), 'utf8'));
    expect(ledger.known_digests[`db-2026-11-20.img`].checksums).toEqual({ crc64nvme: crc64nvmeReference(good), crc32c: crc32cReference(good) });
  });
});

describe('--max-egress', () => {
  it('caps what each run downloads, and carries sampled coverage forward until every block has been read once', async () => {
    const dir = tempDir();
    const file = join(dir, 'site.tar');
    const body = bytes('egress-coverage', 20 * 64 * 1024);
    writeFileSync(file, body);
    const env = { ...S3_ENV, XDG_STATE_HOME: join(dir, 'state') };
    expect((await runCli(['manifest', '--block-size', '64KiB', '--no-crc', file], { env })).code).toBe(0);
    await moto.bucket('cov-manifests');
    for (const suffix of ['.manifest.json', '.blocks.json']) await moto.put('cov-manifests', `site.tar${suffix}`, readFileSync(`${file}${suffix}`));
    // No checksum is stored and no MD5 is known: only reads can judge this copy.
    await moto.bucket('cov-far');
    await moto.put('cov-far', 'site.tar', body);
    const args = ['locations', '--manifest-location', moto.uri('cov-manifests'), '--location', `far=s3://cov-far?endpoint=${encodeURIComponent(proxy.endpoint)}`, '--all', '--sample', '25%', '--max-egress', '192KiB', '--json'];

    const ranges = new Map<number, number>();
    for (let run = 1; run <= 7; run++) {
      proxy.clear();
      const r = await runCli(args, { env });
      expect(r.code, r.stderr).toBe(0);
      const copy = parseJsonOutput(r).results[0]!;
      expect(copy).toMatchObject({ status: 'verified', copy: { evidence: 'sample' } });
      // 25% would be 5 blocks; the budget pays for 3 (the last run needs 2). Measured at the wire.
      expect(proxy.bodyBytes).toBe(copy.copy.bytesRead);
      expect(proxy.bodyBytes).toBeLessThanOrEqual(192 * 1024);
      for (const g of proxy.seen.filter((q) => q.method === 'GET')) {
        const [from, to] = /bytes=(\d+)-(\d+)/.exec(String(g.headers.range))!.slice(1).map(Number);
        for (let b = from! / 65536; b <= to! / 65536 - 1 / 65536; b++) ranges.set(Math.floor(b), (ranges.get(Math.floor(b)) ?? 0) + 1);
      }
      if (run === 1) {
        const status = await runCli(['status'], { env });
        expect(status.stdout).toContain("blocks read: 15% in 1 run since");
        expect(status.stdout).toContain("all of them in 6 more runs at the last run's rate");
      }
    }
    // Seven budgeted runs read each of the 20 blocks exactly once.
    expect([...ranges.keys()].sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect([...ranges.values()].every((n) => n === 1)).toBe(true);
    expect((await runCli(['status'], { env })).stdout).toContain('blocks read: 100% in 7 runs since');
  });

  it('a copy whose reads do not fit is deferred: nothing downloaded, not a pass nor a failure, and its last check stands', async () => {
    const { env } = await manifested('defer');
    const location = ['--location', `plain=${await bucketWith('defer-plain', good)}`];
    const args = ['locations', '--manifest-location', moto.uri('defer-manifests', 'nightly'), ...location, '--all'];
    proxy.clear();
    const none = await runCli([...args, '--max-egress', '0', '--json'], { env });
    expect(none.code, none.stderr).toBe(0);
    expect(parseJsonOutput(none).results[0]).toMatchObject({ status: 'deferred', copy: { bytesRead: 0 } });
    expect(proxy.bodyBytes).toBe(0);
    const full = await runCli([...args, '--full', '--max-egress', '1MiB'], { env });
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/· deferred .*plain/);
    expect(full.stdout).toContain('! the full read (2.00 MiB) left for a later run: the egress budget for plain has 1 MiB left of 1 MiB');
    expect(full.stdout).toContain('✓ no damage found (1 deferred: the egress budget left their reads for a later run)');
    expect(full.stdout).not.toContain('all intact');
    expect(proxy.bodyBytes).toBe(0);
    // Nothing was judged, so the ledger holds no check of it.
    const ledger = JSON.parse(readFileSync(join(env.XDG_STATE_HOME!, 'restorable', 'ledger.json'), 'utf8'));
    expect(ledger.locations?.['db-2026-11-20.img']?.plain).toBeUndefined();
  });
});

describe('many copies at network latency', () => {
  it('checks backups at once, at most 16 requests in flight per location, and reports them in order', async () => {
    const dir = tempDir();
    const env = { ...S3_ENV, XDG_STATE_HOME: join(dir, 'state') };
    const names = Array.from({ length: 40 }, (_, i) => `db-${String(i).padStart(2, '0')}.sql.gz`);
    await moto.bucket('many-far');
    for (const name of names) {
      const body = bytes(name, 4096);
      writeFileSync(join(dir, name), body);
      await moto.put('many-far', name, body, { checksum: 'CRC64NVME' });
    }
    expect((await runCli(['manifest', ...names.map((n) => join(dir, n))], { env })).code).toBe(0);
    for (const name of names) rmSync(join(dir, name));
    proxy.clear();
    proxy.delayMs = 50;
    try {
      const run = await runCli(['locations', '--manifest-location', dir, '--location', `far=${viaProxy('many-far').replace('/nightly', '')}`, '--all', '--json'], { env });
      expect(run.code, run.stderr).toBe(0);
      const results = parseJsonOutput(run).results;
      expect(results.map((r) => r.copy.backup).sort()).toEqual(names);
      expect(results.every((r) => r.status === 'verified' && r.copy.evidence === 'checksum-crc64nvme')).toBe(true);
      expect(proxy.maxInFlight).toBeGreaterThan(4);
      expect(proxy.maxInFlight).toBeLessThanOrEqual(16);
      // One backup at a time: never more than one request in flight, and the same order of results, whatever order the checks ended in above.
      proxy.clear();
      const one = await runCli(['locations', '--manifest-location', dir, '--location', `far=${viaProxy('many-far').replace('/nightly', '')}`, '--all', '--json', '--concurrency', '1'], { env });
      expect(parseJsonOutput(one).results.map((r) => r.copy.backup)).toEqual(results.map((r) => r.copy.backup));
      expect(proxy.maxInFlight).toBe(1);
    } finally {
      proxy.delayMs = 0;
    }
  });
});

describe('--checksum-report', () => {
  it('judges copies by the checksums an S3 Batch Operations job recomputed at rest, with nothing downloaded', async () => {
    const { env, dir } = await manifested('report');
    const args = ['--manifest-location', moto.uri('report-manifests', 'nightly'), '--location', `kept=${await bucketWith('report-kept', good)}`, '--location', `rotted=${await bucketWith('report-rotted', good)}`, '--location', `other=${await bucketWith('report-other', good)}`];
    // The report as the job writes it: no header; the key URL-encoded; the result a JSON object, quoted.
    const result = (crc: string) => `"${JSON.stringify({ checksum_base64: Buffer.from(crc, 'hex').toString('base64'), checksumAlgorithm: 'CRC64NVME', checksumType: 'FULL_OBJECT' }).replace(/"/g, '""')}"`;
    const report = join(dir, 'report.csv');
    writeFileSync(report, [
      `report-kept,nightly%2Fdb-2026-11-20.img,,succeeded,,200,${result(crc64nvmeReference(good))}`,
      `report-rotted,nightly%2Fdb-2026-11-20.img,,succeeded,,200,${result(crc64nvmeReference(damaged))}`,
      `report-other,nightly%2Fdb-2026-11-20.img,,failed,AccessDenied,403,"Access Denied"`,
    ].join('\n'));
    proxy.clear();
    const run = await runCli(['locations', ...args, '--all', '--checksum-report', report, '--json'], { env });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('report.csv: s3://report-other/nightly/db-2026-11-20.img: the job failed (AccessDenied): Access Denied');
    const copies = Object.fromEntries(parseJsonOutput(run).results.map((r) => [r.copy.location, r]));
    expect(copies.kept).toMatchObject({ status: 'verified', copy: { evidence: 'at-rest', bytesRead: 0 } });
    expect(copies.rotted).toMatchObject({ status: 'hash_mismatch', copy: { evidence: 'at-rest', bytesRead: 0 } });
    expect(copies.rotted.findings[0].message).toMatch(/^S3 recomputed its crc64nvme at rest \(report of \d{4}-\d\d-\d\d\): /);
    // The copy the job failed on is judged as ever: its ETag is that of the copy verified at rest.
    expect(copies.other).toMatchObject({ status: 'verified', copy: { evidence: 'etag', bytesRead: 0 } });
    expect(objectGets().filter((r) => r.url.includes('report-kept') || r.url.includes('report-rotted'))).toEqual([]);
  });
});
