import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { S3TestServer, S3_ENV } from './helpers/s3-server.js';

/** Every check that reads a file reads an object the same way: verify, blocks, deep, restore-test. */

const server = new S3TestServer();
const env = { ...S3_ENV };
let archive: Buffer;
let sidecars: Record<string, Buffer>;

beforeAll(async () => {
  await server.start();
  const dir = tempDir();
  const src = join(dir, 'src', 'etc');
  mkdirSync(src, { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(src, `conf-${i}.txt`), bytes(`conf-${i}`, 30_000).toString('base64'));
  execFileSync('tar', ['-czf', join(dir, 'site.tar.gz'), '-C', join(dir, 'src'), 'etc']);
  const made = await runCli(['manifest', '--blocks', '--block-size', '64KiB', '--sha256sum', join(dir, 'site.tar.gz')]);
  expect(made.code).toBe(0);
  archive = readFileSync(join(dir, 'site.tar.gz'));
  sidecars = Object.fromEntries(['.manifest.json', '.blocks.json', '.sha256'].map((s) => [s, readFileSync(join(dir, `site.tar.gz${s}`))]));
});
afterAll(() => server.stop());

async function bucketWith(name: string, body: Buffer, withManifests = true): Promise<string> {
  await server.bucket(name);
  await server.put(name, 'nightly/site.tar.gz', body);
  if (withManifests) for (const [s, b] of Object.entries(sidecars)) await server.put(name, `nightly/site.tar.gz${s}`, b);
  return `s3://${name}/nightly/site.tar.gz?endpoint=${encodeURIComponent(server.endpoint)}`;
}

describe('objects in a bucket, checked like files', () => {
  it('verify streams the object through its manifests (found beside it in the bucket)', async () => {
    const uri = await bucketWith('obj-good', archive);
    const run = await runCli(['verify', uri, '--json'], { env });
    expect(run.code).toBe(0);
    const r = parseJsonOutput(run).results[0]!;
    expect(r).toMatchObject({ file: 's3://obj-good/nightly/site.tar.gz', status: 'verified', size: archive.length });
    expect(r.digests.sha256.ok).toBe(true);
    expect(r.manifests.map((m: { path: string }) => m.path)).toContain('s3://obj-good/nightly/site.tar.gz.sha256');
  });

  it('verify and blocks locate damage in an object to the block and byte', async () => {
    const bad = Buffer.from(archive);
    bad[200_000] = bad[200_000]! ^ 0x10;
    const uri = await bucketWith('obj-bad', bad);
    for (const cmd of [['verify', uri], ['blocks', uri]]) {
      const run = await runCli([...cmd, '--json'], { env });
      expect(run.code).toBe(1);
      const r = parseJsonOutput(run).results[0]!;
      expect(r.status).toBe('corrupt_blocks');
      expect(r.regions).toHaveLength(1);
      expect(r.regions[0]).toMatchObject({ firstBlock: 3, lastBlock: 3, offset: 3 * 65536, length: 65536 });
    }
  });

  it('verify takes the manifests from --manifest-location; an object without any is no_manifest (exit 2)', async () => {
    const uri = await bucketWith('obj-bare', archive, false);
    const bare = await runCli(['verify', uri], { env });
    expect(bare.code).toBe(2);
    expect(bare.stdout).toMatch(/no manifest found in s3:\/\/obj-bare\/nightly/);
    const manifests = tempDir();
    for (const [s, b] of Object.entries(sidecars)) writeFileSync(join(manifests, `site.tar.gz${s}`), b);
    const apart = await runCli(['verify', uri, '--manifest-location', manifests, '--json'], { env });
    expect(apart.code).toBe(0);
    expect(parseJsonOutput(apart).results[0]!.status).toBe('verified');
  });

  it('deep and restore-test read an object through ranged requests, and a cut one gets a salvage report', async () => {
    const uri = await bucketWith('obj-deep', archive, false);
    const deep = await runCli(['deep', uri, '--json'], { env });
    expect(deep.code).toBe(0);
    expect(parseJsonOutput(deep).results[0]!.archive).toMatchObject({ format: 'tar+gzip', files: 40, complete: true });
    const restore = await runCli(['restore-test', uri, '--json'], { env });
    expect(restore.code).toBe(0);
    expect(parseJsonOutput(restore).results[0]!.restore).toMatchObject({ restoredFiles: 40, mismatches: 0, kept: false });
    const cut = await bucketWith('obj-cut', archive.subarray(0, Math.floor(archive.length * 0.6)), false);
    const damaged = await runCli(['deep', cut, '--json'], { env });
    expect(damaged.code).toBe(1);
    const r = parseJsonOutput(damaged).results[0]!;
    expect(r.status).toBe('archive_damaged');
    expect(r.salvage.recoverableMembers).toBeGreaterThan(5);
    expect(r.salvage.recoverableMembers).toBeLessThan(40);
  });

  it('a missing object or bucket is a clear error naming it', async () => {
    const run = await runCli(['deep', `s3://obj-good/nightly/nope.tar.gz?endpoint=${encodeURIComponent(server.endpoint)}`], { env });
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/s3:\/\/obj-good\/nightly\/nope\.tar\.gz: no such object/);
    const nobucket = await runCli(['verify', `s3://no-such-bucket/x/site.tar.gz?endpoint=${encodeURIComponent(server.endpoint)}`], { env });
    expect(nobucket.code).toBe(2);
    expect(nobucket.stdout + nobucket.stderr).toMatch(/the bucket does not exist/);
  });
});
