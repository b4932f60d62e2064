import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3Location } from '../src/core/storage/s3-location.js';
import { parseLocationUri } from '../src/core/storage/uri.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { bytes, digest, tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { S3TestServer, S3_ENV } from './helpers/s3-server.js';

/**
 * Transport faults between us and a real S3 server (s3rver on loopback,
 * behind a fault-injecting proxy): a short body, a cut connection, an empty
 * 206, a reset, throttling, an object replaced while it is read. None may
 * become a verdict: each is retried and resumed, and after the last try it is
 * an error (exit 2) naming the object and the byte.
 */

const server = new S3TestServer();
const proxy = new FaultProxy(() => server.port);
// short waits between tries: the tests count tries, not seconds
const env = { ...S3_ENV, RESTORABLE_RETRY_BASE_MS: '20' };
const MiB = 1024 * 1024;
const big = bytes('transport', 3 * MiB + 777);
let archive: Buffer;

beforeAll(async () => {
  process.env.RESTORABLE_RETRY_BASE_MS = '20';
  await server.start();
  await proxy.start();
  await server.bucket('txb');
  await server.put('txb', 'big.img', big);
  const dir = tempDir();
  const src = join(dir, 'src', 'etc');
  mkdirSync(src, { recursive: true });
  for (let i = 0; i < 60; i++) writeFileSync(join(src, `conf-${i}.txt`), bytes(`conf-${i}`, 200_000).toString('base64'));
  execFileSync('tar', ['-czf', join(dir, 'site.tar.gz'), '-C', join(dir, 'src'), 'etc']);
  archive = readFileSync(join(dir, 'site.tar.gz'));
  await server.put('txb', 'site.tar.gz', archive);
});
afterEach(() => proxy.clear());
afterAll(async () => {
  await proxy.stop();
  await server.stop();
});

const viaProxy = (key: string) => `s3://txb/${key}?endpoint=${encodeURIComponent(proxy.endpoint)}`;
const location = () => new S3Location(parseLocationUri('txb', `s3://txb?endpoint=${encodeURIComponent(proxy.endpoint)}`, {}, S3_ENV) as Extract<ReturnType<typeof parseLocationUri>, { kind: 's3' }>);
const objectGets = (key: string) => proxy.seen.filter((r) => r.method === 'GET' && r.url.split('?')[0]!.endsWith(`/${key}`));

describe('ranged reads', () => {
  for (const fault of [{ kind: 'cut', bytes: 1000 }, { kind: 'short', bytes: 1000 }, { kind: 'empty' }, { kind: 'reset' }] as const) {
    it(`a ${fault.kind} body is retried and the bytes come out right`, async () => {
      const loc = location();
      try {
        proxy.inject(fault, { times: 2 });
        const got = await loc.readRange('big.img', MiB, 2 * MiB);
        expect(got.equals(big.subarray(MiB, 3 * MiB))).toBe(true);
        expect(objectGets('big.img')).toHaveLength(3);
      } finally {
        loc.close();
      }
    });
  }

  it('after the last try: an error naming the object, the range and the byte, never fewer bytes', async () => {
    const loc = location();
    try {
      proxy.inject({ kind: 'short', bytes: 5000 }, { times: 10 });
      await expect(loc.readRange('big.img', MiB, MiB)).rejects.toThrow(/^s3:\/\/txb\/big\.img \(bytes 1048576-2097151\): download failed at byte 1053576 of 3146505 \(4 tries\): the body ended after 5000 of 1048576 bytes$/);
    } finally {
      loc.close();
    }
  });

  it('every ranged GET carries If-Match with the object\'s ETag', async () => {
    const run = await runCli(['deep', viaProxy('site.tar.gz'), '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const gets = objectGets('site.tar.gz');
    expect(gets.length).toBeGreaterThan(0);
    const etag = `"${digest('md5', archive)}"`;
    for (const g of gets) expect(g.headers['if-match'], g.url).toBe(etag);
  });

  it('honours Retry-After from a throttling store (503 SlowDown)', async () => {
    const loc = location();
    try {
      proxy.inject({ kind: 'slowdown', retryAfter: 1 });
      const got = await loc.readRange('big.img', 0, 1000);
      expect(got.equals(big.subarray(0, 1000))).toBe(true);
      const [first, second] = objectGets('big.img');
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    } finally {
      loc.close();
    }
  });
});

describe('whole reads and checks of objects', () => {
  it('deep over an object that only ever sends empty bodies: exit 2 naming the byte, not "verified, 0 members"', async () => {
    proxy.inject({ kind: 'empty' }, { times: 100 });
    const run = await runCli(['deep', viaProxy('site.tar.gz'), '--json'], { env });
    expect(run.code, run.stdout).toBe(2);
    const text = run.stdout + run.stderr;
    expect(text).toMatch(/s3:\/\/txb\/site\.tar\.gz \(bytes 0-\d+\): download failed at byte 0 of \d+ \(4 tries\): the body ended after 0 of \d+ bytes/);
    expect(text).not.toMatch(/"status": "verified"|archive_damaged/);
  });

  it('deep over an object replaced while it is read: exit 2, it changed, neither damaged nor verified', async () => {
    const other = Buffer.from(archive);
    other.fill(0x42, 9 * MiB);
    // the second ranged request finds another object under the same name
    proxy.before((req) => req.method === 'GET' && /site\.tar\.gz/.test(req.url!) && /bytes=[1-9]/.test(String(req.headers.range)), () => server.put('txb', 'site.tar.gz', other));
    try {
      const run = await runCli(['deep', viaProxy('site.tar.gz'), '--json'], { env });
      expect(run.code, run.stdout + run.stderr + JSON.stringify(proxy.seen.map((r) => [r.method, r.url, r.headers.range, r.headers['if-match']]))).toBe(2);
      expect(run.stdout + run.stderr).toMatch(/s3:\/\/txb\/site\.tar\.gz: changed while it was read/);
      expect(run.stdout).not.toMatch(/archive_damaged|"status": "verified"/);
    } finally {
      await server.put('txb', 'site.tar.gz', archive);
    }
  });

  it('verify streams an object through cut connections and short bodies, resuming from the byte reached', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'big.img.sha256'), `${digest('sha256', big)}  big.img\n`);
    proxy.inject({ kind: 'cut', bytes: 700_000 });
    proxy.inject({ kind: 'short', bytes: 300_000 });
    const run = await runCli(['verify', viaProxy('big.img'), '--manifest-location', dir, '--json'], { env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(parseJsonOutput(run).results[0]!.status).toBe('verified');
    // each retry asks for the rest, from the byte reached (what arrived before the cut)
    const ranges = objectGets('big.img').map((g) => g.headers.range);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    const reached = Number(/^bytes=(\d+)-$/.exec(ranges[1]!)![1]);
    expect(reached).toBeGreaterThan(0);
    expect(reached).toBeLessThanOrEqual(700_000);
    expect(ranges[2]).toBe(`bytes=${reached + 300_000}-`);
  });

  it('one copy that cannot be downloaded keeps the results of the other copies', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.img');
    writeFileSync(file, big);
    expect((await runCli(['manifest', '--blocks', file], { env })).code).toBe(0);
    await server.bucket('txb-far');
    await server.put('txb-far', 'big.img', big);
    // the copy behind the proxy resets every time
    proxy.inject({ kind: 'reset' }, { times: 1000 });
    const run = await runCli(['locations', file, '--location', `near=${viaProxy('').replace('/?', '?')}`, '--location', `far=s3://txb-far?endpoint=${encodeURIComponent(server.endpoint)}`, '--full', '--state-dir', tempDir(), '--json'], { env });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    const byLocation = Object.fromEntries(parseJsonOutput(run).results.map((r) => [r.copy.location, r]));
    expect(byLocation.local!.status).toBe('verified');
    expect(byLocation.far!.status).toBe('verified');
    expect(byLocation.near!.status).toBe('error');
    expect(byLocation.near!.findings[0].message).toMatch(/s3:\/\/txb\/big\.img: download failed after 0 of 3146505 bytes \(4 tries\)/);
  });
});
