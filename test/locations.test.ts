import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, digest, tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { runTool } from './helpers/tools.js';
import { MotoServer, S3TestServer, S3_ENV, type LoopbackS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 12 * MiB + 12345;
const good = bytes('locations-good', SIZE);
/** The damaged copy: 300 bytes flipped inside block 7. */
const DAMAGE_AT = 7 * MiB + 4000;
const damaged = Buffer.from(good);
for (let i = DAMAGE_AT; i < DAMAGE_AT + 300; i++) damaged[i] = damaged[i]! ^ 0x5a;

/** Two S3 implementations with their own reading of the protocol; s3rver can also rot an object's bytes on disk. */
const s3rver = new S3TestServer();
const moto = new MotoServer();
const envOf = (server: LoopbackS3): NodeJS.ProcessEnv => ({ ...S3_ENV, XDG_STATE_HOME: join(server.directory, 'state') });

beforeAll(() => Promise.all([s3rver.start(), moto.start()]));
afterAll(() => Promise.all([s3rver.stop(), moto.stop()]));

/** A backup on local disk with its manifest and block map, and the same bytes in buckets. */
async function setup(
  server: LoopbackS3,
  name: string,
  copies: Record<string, Buffer | 'multipart' | 'missing'>,
): Promise<{ dir: string; file: string; args: string[] }> {
  const dir = tempDir();
  const file = join(dir, 'db-2026-11-20.img');
  writeFileSync(file, good);
  const made = await runCli(['manifest', '--blocks', '--algo', 'sha256', file], { env: envOf(server) });
  expect(made.code).toBe(0);
  const args: string[] = [];
  for (const [loc, body] of Object.entries(copies)) {
    const bucket = `${name}-${loc}`;
    await server.bucket(bucket);
    if (body === 'multipart') await server.putMultipart(bucket, 'nightly/db-2026-11-20.img', good);
    else if (body !== 'missing') await server.put(bucket, 'nightly/db-2026-11-20.img', body);
    args.push('--location', `${loc}=${server.uri(bucket, 'nightly')}`);
  }
  return { dir, file, args };
}

const byLocation = (json: ReturnType<typeof parseJsonOutput>): { [location: string]: any } => Object.fromEntries(json.results.map((r) => [r.copy.location, r]));

for (const server of [s3rver, moto]) {
  describe(`restorable locations against ${server.name}`, () => {
    const env = envOf(server);
    it('names the bad copy and its region without downloading the healthy copies, then heals it', async () => {
      const { file, args, dir } = await setup(server, 'done', { r2: 'multipart', b2: damaged });
      const stateDir = join(dir, 'state');
      const prom = join(dir, 'locations.prom');
      const run = await runCli(['locations', file, ...args, '--state-dir', stateDir, '--metrics-file', prom, '--json'], { env });
      expect(run.code).toBe(1);
      const copies = byLocation(parseJsonOutput(run));
      // One series per copy, in a textfile promtool accepts.
      execFileSync('promtool', ['check', 'metrics'], { input: readFileSync(prom) });
      const metrics = readFileSync(prom, 'utf8');
      expect(metrics).toContain('restorable_copy_damaged{backup="db-2026-11-20.img",location="b2"} 1');
      expect(metrics).toContain('restorable_copy_ok{backup="db-2026-11-20.img",location="r2"} 1');
      expect(metrics).toMatch(/^restorable_copies_failing 1$/m);
      expect(copies.local.status).toBe('verified');
      expect(copies.r2.status).toBe('verified');
      expect(copies.r2.copy.evidence).toBe('etag');
      expect(copies.r2.copy.bytesRead).toBe(0); // the healthy bucket copy was not downloaded
      expect(copies.b2.status).toBe('corrupt_blocks');
      expect(copies.b2.file).toBe(`s3://done-b2/nightly/db-2026-11-20.img`);
      expect(copies.b2.regions).toHaveLength(1);
      expect(copies.b2.regions[0]).toMatchObject({ kind: 'corrupt', firstBlock: 7, lastBlock: 7, offset: 7 * MiB, length: MiB });
      expect(copies.b2.copy.quorum).toBe('minority');

      // The ledger keeps each copy's last integrity check.
      const ledger = JSON.parse(readFileSync(join(stateDir, 'ledger.json'), 'utf8'));
      expect(ledger.locations['db-2026-11-20.img'].b2.last_integrity_check).toMatchObject({ status: 'corrupt_blocks', errors: expect.arrayContaining([expect.stringContaining('corrupt (confirmed) region: block 7, bytes 7340032-8388607')]) });
      expect(ledger.locations['db-2026-11-20.img'].r2.last_integrity_check.status).toBe('verified');

      // Heal the bucket copy from the other bucket, then every copy verifies.
      // The heal verifies the copy whole, and says so in the ledger: that clears the failure the check above found.
      const heal = await runCli(['heal', file, '--copy', 'b2', '--from', 'r2', '--replace', ...args, '--state-dir', stateDir, '--json'], { env });
      expect(heal.stderr).toBe('');
      expect(heal.code).toBe(0);
      const healed = JSON.parse(heal.stdout);
      expect(healed).toMatchObject({ ok: true, healedBlocks: 1, fetchedBytes: MiB });
      const again = await runCli(['locations', file, ...args, '--state-dir', stateDir, '--json'], { env });
      expect(again.code).toBe(0);
      expect(Object.values(byLocation(parseJsonOutput(again))).map((r) => r.status)).toEqual(['verified', 'verified', 'verified']);
    });

    it('heals a damaged local file from a bucket into FILE.healed, byte for byte, and leaves the damaged file alone', async () => {
      const { file, args } = await setup(server, 'local', { offsite: good });
      writeFileSync(file, damaged.subarray(0, SIZE - 5000)); // damaged and truncated
      const before = readFileSync(file);
      const heal = await runCli(['heal', file, '--from', 'offsite', ...args], { env });
      expect(heal.code).toBe(0);
      expect(heal.stdout).toMatch(/healed .*db-2026-11-20.img: 2 blocks \(.*\) fetched from offsite, verified whole/);
      expect(digest('sha256', readFileSync(`${file}.healed`))).toBe(digest('sha256', good));
      expect(readFileSync(file).equals(before)).toBe(true);
      // --replace swaps it in and keeps the damaged one.
      const replace = await runCli(['heal', file, '--from', 'offsite', '--replace', ...args], { env });
      expect(replace.code).toBe(0);
      expect(digest('sha256', readFileSync(file))).toBe(digest('sha256', good));
      expect(readFileSync(`${file}.damaged`).equals(before)).toBe(true);
    });

    it('refuses to heal from a copy that is damaged in the same blocks, and keeps nothing', async () => {
      const { file, args, dir } = await setup(server, 'both', { bad: damaged });
      writeFileSync(file, damaged);
      const heal = await runCli(['heal', file, '--from', 'bad', ...args], { env });
      expect(heal.code).toBe(1);
      expect(heal.stderr).toMatch(/block 7 do not match the block map in this copy either/);
      expect(readdirSync(dir).filter((n) => /heal/.test(n))).toEqual([]);
    });

    it('reports a missing object, a short one with the exact missing tail, and a copy a rule says is not expected', async () => {
      const { file, args, dir } = await setup(server, 'gaps', { a: 'missing', b: good.subarray(0, 9 * MiB + 10), c: 'missing' });
      const config = join(dir, 'restorable.yaml');
      writeFileSync(config, 'location_check:\n  rules:\n    - { match: "*.img", not_expected_in: [c] }\n');
      const run = await runCli(['locations', file, ...args, '--config', config, '--json'], { env });
      expect(run.code).toBe(1);
      const copies = byLocation(parseJsonOutput(run));
      expect(copies.a.status).toBe('missing');
      expect(copies.a.findings[0].message).toMatch(/s3:\/\/gaps-a\/nightly\/db-2026-11-20.img: no such copy in a/);
      expect(copies.b.status).toBe('size_mismatch');
      expect(copies.b.regions).toEqual([{ kind: 'missing', firstBlock: 9, lastBlock: 12, offset: 9 * MiB + 10, length: SIZE - 9 * MiB - 10 }]);
      expect(copies.c).toBeUndefined();
    });

    it('without any manifest, the majority of three copies names the odd one out', async () => {
      const dir = tempDir();
      const file = join(dir, 'db-2026-11-20.img');
      writeFileSync(file, good);
      const args: string[] = [];
      for (const [loc, body] of [['x', good], ['y', damaged]] as const) {
        await server.bucket(`quorum-${loc}`);
        await server.put(`quorum-${loc}`, 'db-2026-11-20.img', body);
        args.push('--location', `${loc}=${server.uri(`quorum-${loc}`)}`);
      }
      const run = await runCli(['locations', file, ...args, '--json'], { env });
      expect(run.code).toBe(1);
      const copies = byLocation(parseJsonOutput(run));
      expect(copies.local).toMatchObject({ status: 'verified', copy: { quorum: 'majority' } });
      expect(copies.x).toMatchObject({ status: 'verified', copy: { quorum: 'majority', bytesRead: 0 } });
      expect(copies.y).toMatchObject({ status: 'hash_mismatch', copy: { quorum: 'minority' } });
    });

    it('reads manifests from a separate manifest location (a bucket) and checks the copies with them', async () => {
      const { file, args } = await setup(server, 'sep', { main: good, spare: damaged });
      await server.bucket('sep-manifests');
      for (const sidecar of ['.blocks.json', '.manifest.json']) await server.put('sep-manifests', `m/db-2026-11-20.img${sidecar}`, readFileSync(`${file}${sidecar}`));
      const run = await runCli(['locations', ...args, '--manifest-location', server.uri('sep-manifests', 'm'), '--json'], { env });
      expect(run.code).toBe(1);
      const copies = byLocation(parseJsonOutput(run));
      expect(Object.keys(copies).sort()).toEqual(['main', 'spare']);
      expect(copies.spare.status).toBe('corrupt_blocks');
      expect(copies.main.status).toBe('verified');
    });

    it('sends one alert naming the bad copy when it starts failing, and none on the next identical run', async () => {
      const received: string[] = [];
      const hook: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          received.push(body);
          res.end('ok');
        });
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hooks/T000/SECRET`;
      try {
        const { file, args, dir } = await setup(server, 'alert', { good: good, bad: damaged });
        const common = [file, ...args, '--state-dir', join(dir, 'state'), '--webhook', url];
        const first = await runCli(['locations', ...common], { env });
        expect(first.code).toBe(1);
        expect(received).toHaveLength(1);
        expect(JSON.parse(received[0]!).text).toMatch(/s3:\/\/alert-bad\/nightly\/db-2026-11-20.img[\s\S]*bytes 7340032-8388607/);
        expect(first.stdout + first.stderr).not.toContain('SECRET');
        await runCli(['locations', ...common], { env });
        expect(received).toHaveLength(1);
      } finally {
        hook.close();
      }
    });

  });
}

describe('restorable locations against s3rver: bytes rotted on disk, signed manifests', () => {
  const server = s3rver;
  const env = envOf(server);
  it('catches bytes that rotted on the provider\'s disk (ETag unchanged) by sampling, and reports the coverage', async () => {
    const { file, args } = await setup(server, 'rot', { cold: good });
    server.rot('rot-cold', 'nightly/db-2026-11-20.img', 3 * MiB + 17, 4);
    const cheap = await runCli(['locations', file, ...args, '--json'], { env });
    expect(byLocation(parseJsonOutput(cheap)).cold).toMatchObject({ status: 'verified', copy: { evidence: 'etag', bytesRead: 0 } });
    const sampled = await runCli(['locations', file, ...args, '--sample', '100%', '--json'], { env });
    expect(sampled.code).toBe(1);
    const cold = byLocation(parseJsonOutput(sampled)).cold;
    expect(cold.status).toBe('corrupt_blocks');
    expect(cold.regions[0]).toMatchObject({ firstBlock: 3, lastBlock: 3, offset: 3 * MiB });
    expect(cold.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(/although the ETag matches/);
    // A 25% sample of a healthy copy reads about a quarter of it and says so.
    const healthy = await setup(server, 'sample', { warm: good });
    const part = await runCli(['locations', healthy.file, ...healthy.args, '--sample', '25%', '--json'], { env });
    const warm = byLocation(parseJsonOutput(part)).warm;
    expect(warm.status).toBe('verified');
    expect(warm.copy.coverage).toBeGreaterThan(0.2);
    expect(warm.copy.coverage).toBeLessThan(0.45);
  });

  it('with --trust, a manifest modified by hand is reported as tampered (also by minisign) and judges no copy', async () => {
    const dir = tempDir();
    const key = join(dir, 'keys', 'restorable.key');
    expect((await runCli(['keygen', '--out', key], { env })).code).toBe(0);
    const file = join(dir, 'db-2026-11-20.img');
    writeFileSync(file, good);
    expect((await runCli(['manifest', '--blocks', '--sign', key, file], { env })).code).toBe(0);
    await server.bucket('signed-a');
    await server.put('signed-a', 'db-2026-11-20.img', good);
    const args = [file, '--location', `a=${server.uri('signed-a')}`, '--trust', `${key}.pub`, '--json'];
    const clean = await runCli(['locations', ...args], { env });
    expect(clean.code).toBe(0);
    // An attacker who rewrote the backup edits the digest to match; the signature no longer does.
    const manifest = `${file}.manifest.json`;
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"sha256": "(.)/, (_m, c: string) => `"sha256": "${c === 'a' ? 'b' : 'a'}`));
    const forged = await runCli(['locations', ...args], { env });
    expect(forged.code).toBe(1);
    const tampered = parseJsonOutput(forged).results.filter((r) => r.status === 'tampered');
    expect(tampered).toHaveLength(1);
    expect(tampered[0]!.findings[0].message).toContain('db-2026-11-20.img.manifest.json');
    const minisign = runTool('minisign', ['-V', '-p', `${key}.pub`, '-m', manifest]);
    expect(minisign.status).toBe(1);
    expect(minisign.stderr).toMatch(/Signature verification failed/);
    // Healing obeys the block map: a forged one is refused before anything is fetched.
    const map = `${file}.blocks.json`;
    writeFileSync(map, readFileSync(map, "utf8").replace(/"hash":"(.)/, (_m, c: string) => `"hash":"${c === "a" ? "b" : "a"}`));
    const heal = await runCli(['heal', file, '--from', 'a', '--location', `a=${server.uri('signed-a')}`, '--trust', `${key}.pub`], { env });
    expect(heal.code).toBe(1);
    expect(heal.stderr).toMatch(/tampered: .*blocks\.json: modified since it was signed/);
    expect(readdirSync(dir).filter((n) => n.endsWith(".healed"))).toEqual([]);
  });

});

describe('restorable locations against moto: full-object SHA-256 checksums', () => {
  const env = envOf(moto);

  it('a copy stored with its SHA-256 is vouched for by that checksum without a download; one whose checksum differs is damaged with nothing downloaded, and --full locates it', async () => {
    const { file, args } = await setup(moto, 'sha', {});
    for (const [loc, body] of [['kept', good], ['bad', damaged]] as const) {
      await moto.bucket(`sha-${loc}`);
      await moto.put(`sha-${loc}`, 'nightly/db-2026-11-20.img', body, { checksum: 'SHA256' });
      args.push('--location', `${loc}=${moto.uri(`sha-${loc}`, 'nightly')}`);
    }
    const run = await runCli(['locations', file, ...args, '--json'], { env });
    expect(run.code).toBe(1);
    const copies = byLocation(parseJsonOutput(run));
    expect(copies.kept).toMatchObject({ status: 'verified', copy: { evidence: 'checksum-sha256', bytesRead: 0 } });
    expect(copies.bad).toMatchObject({ status: 'hash_mismatch', copy: { evidence: 'checksum-sha256', bytesRead: 0 } });
    const full = byLocation(parseJsonOutput(await runCli(['locations', file, ...args, '--full', '--json'], { env })));
    expect(full.bad.status).toBe('corrupt_blocks');
    expect(full.bad.regions[0]).toMatchObject({ firstBlock: 7, lastBlock: 7, offset: 7 * MiB, length: MiB });
  });
});

describe('restorable locations: usage', () => {
  const env = envOf(s3rver);
  it('a bad --location is a usage error naming it; keys in the URI are refused', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'b'));
    const r1 = await runCli(['locations', dir, '--location', 'x=ftp://host/path'], { env });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/location x: unknown scheme "ftp:\/\/"/);
    const r2 = await runCli(['locations', dir, '--location', 'x=s3://AKIA:secret@bucket/p'], { env });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/not in the URI/);
    expect(r2.stderr).not.toContain('secret');
    expect(existsSync(join(dir, 'b'))).toBe(true);
  });
});

describe('multipart ETags', () => {
  it('are recomputed exactly as S3 does, checked against split + md5sum', async () => {
    const { CopyDigester } = await import('../src/core/locations/copy-digester.js');
    const dir = tempDir();
    const file = join(dir, 'data.bin');
    writeFileSync(file, good);
    // The classic shell recipe: md5 of each 5 MiB part, then md5 of the concatenated binary digests.
    execFileSync('split', ['-b', String(5 * MiB), file, join(dir, 'part.')]);
    const parts = readdirSync(dir).filter((n) => n.startsWith('part.')).sort();
    const sums = execFileSync('md5sum', parts, { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.slice(0, 32)).join('');
    const joined = execFileSync('sh', ['-c', `printf %s ${sums.toUpperCase()} | basenc -d --base16 | md5sum`], { encoding: 'utf8' }).slice(0, 32);
    const d = await CopyDigester.create({ algorithms: [], etagPartSizes: [5 * MiB] });
    for (let at = 0; at < good.length; at += 777_777) d.update(good.subarray(at, at + 777_777));
    expect(d.finish().etags[5 * MiB]).toBe(`${joined}-${parts.length}`);
  });
});
