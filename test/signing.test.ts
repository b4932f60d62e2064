import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { bytes, tempDir, writeFixture } from './helpers/fixtures.js';
import { runTool } from './helpers/tools.js';
import { keyIdHex } from '../src/core/signing/minisign-format.js';

/** The real minisign (Debian's), as a user would run it. */
const minisign = (args: string[], opts: { cwd?: string; input?: string } = {}) => runTool('minisign', args, opts);

/** The algorithm a .minisig states: "ED" (prehashed, what minisign writes) or "Ed" (legacy). */
function sigAlgorithm(sigFile: string): string {
  return Buffer.from(readFileSync(sigFile, 'utf8').split('\n')[1]!, 'base64').toString('latin1', 0, 2);
}

async function keygen(dir: string, name: string): Promise<{ key: string; pub: string; keyId: string }> {
  const run = await runCli(['keygen', '--out', join(dir, name), '--json']);
  expect(run.code, run.stderr).toBe(0);
  const doc = JSON.parse(run.stdout) as { keyId: string; secretKey: string; publicKey: string };
  return { key: doc.secretKey, pub: doc.publicKey, keyId: doc.keyId };
}

/** A backup with signed manifests: NAME.manifest.json and whatever `extra` asks for. */
async function signedBackup(dir: string, key: string, extra: string[] = ['--sha256sum']): Promise<{ file: string; data: Buffer }> {
  const data = bytes('site', 600_000);
  const file = writeFixture(dir, 'site-20260130.tar.gz', data);
  const run = await runCli(['manifest', file, '--sign', key, ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return { file, data };
}

async function verifyJson(args: string[]) {
  const run = await runCli(['verify', ...args, '--json']);
  const result = parseJsonOutput(run).results[0]!;
  return { code: run.code, result, messages: (result.findings as { message: string }[]).map((f) => f.message).join('\n') };
}

describe('restorable keygen', () => {
  it('writes a minisign key pair that minisign itself signs and verifies with', async () => {
    const dir = tempDir();
    const run = await runCli(['keygen', '--out', join(dir, 'ops.key')], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    // As minisign prints a key id (%PRIX64): up to 16 hex digits, no leading zero (one key in 16 has fewer digits).
    const keyId = /key id\s+([1-9A-F][0-9A-F]{0,15})$/m.exec(run.stdout)?.[1];
    expect(keyId).toBeDefined();
    expect(run.stdout).toContain('ops.key.pub');
    expect(readFileSync(join(dir, 'ops.key.pub'), 'utf8').split('\n')[0]).toBe(`untrusted comment: minisign public key ${keyId}`);
    expect(statSync(join(dir, 'ops.key')).mode & 0o777).toBe(0o600);

    // Our secret key is in minisign's own format: minisign signs with it, and checks that against our public key.
    writeFixture(dir, 'notes.txt', 'restore drill passed\n');
    const signed = minisign(['-S', '-s', 'ops.key', '-m', 'notes.txt'], { cwd: dir });
    expect(signed.status, signed.stderr).toBe(0);
    const checked = minisign(['-V', '-p', 'ops.key.pub', '-m', 'notes.txt'], { cwd: dir });
    expect(checked.status, checked.stderr).toBe(0);
    expect(sigAlgorithm(join(dir, 'notes.txt.minisig'))).toBe('ED');
  });

  it('refuses to replace a key pair without --force, and replaces it with --force', async () => {
    const dir = tempDir();
    const first = await keygen(dir, 'ops.key');
    const secret = readFileSync(first.key, 'utf8');
    const again = await runCli(['keygen', '--out', first.key]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${first.key}: already exists (use --force to replace it)`);
    expect(readFileSync(first.key, 'utf8')).toBe(secret);

    // Only the public half there: still refused, and no secret key is written beside it.
    writeFileSync(join(dir, 'lone.key.pub'), 'x');
    const lone = await runCli(['keygen', '--out', join(dir, 'lone.key')]);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toContain('lone.key.pub: already exists');
    expect(readdirSync(dir)).not.toContain('lone.key');

    // A missing key folder is made, for its owner only (as minisign does).
    expect((await runCli(['keygen', '--out', join(dir, 'keys', 'ops.key')])).code).toBe(0);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);

    const forced = await runCli(['keygen', '--out', first.key, '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).keyId).not.toBe(first.keyId);
    expect(readFileSync(first.key, 'utf8')).not.toBe(secret);
  });
});

describe('restorable manifest --sign and verify --trust', () => {
  it('signs every manifest it writes; minisign -V accepts each and verify --trust passes', async () => {
    const dir = tempDir();
    const { key, pub, keyId } = await keygen(dir, 'ops.key');
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFixture(src, 'a.txt', bytes('a', 5000));
    writeFixture(src, 'b.txt', bytes('b', 70_000));
    execFileSync('tar', ['-cf', 'db-20260130.tar', 'src'], { cwd: dir });
    const file = join(dir, 'db-20260130.tar');
    const made = await runCli(['manifest', file, '--sign', key, '--blocks', '--block-size', '16KiB', '--sha256sum', '--contents', '--json']);
    expect(made.code, made.stderr).toBe(0);
    for (const m of ['db-20260130.tar.manifest.json', 'db-20260130.tar.sha256']) expect(sigAlgorithm(join(dir, `${m}.minisig`))).toBe('ED');
    const manifests = ['db-20260130.tar.manifest.json', 'db-20260130.tar.blocks.json', 'db-20260130.tar.sha256', 'db-20260130.tar.contents.json'];
    expect(parseJsonOutput(made).results[0]!.signatures).toEqual(manifests.map((m) => ({ manifest: join(dir, m), state: 'valid', keyId })));
    for (const m of manifests) {
      const v = minisign(['-V', '-p', pub, '-m', m], { cwd: dir });
      expect(v.status, `${m}: ${v.stderr}`).toBe(0);
      expect(v.stdout).toMatch(new RegExp(`Trusted comment: timestamp:\\d+\\tfile:${m.replace(/\./g, '\\.')}\\thashed`));
    }

    const { code, result } = await verifyJson([file, '--trust', pub]);
    expect(code).toBe(0);
    expect(result.status).toBe('verified');
    expect(result.signatures.map((s: { state: string }) => s.state)).toEqual(['valid', 'valid', 'valid']);
    const text = await runCli(['verify', file, '--blocks', '--trust', pub]);
    expect(text.code, text.stdout).toBe(0);
  });

  it('a checksum edited by hand is tampered, for minisign and for verify --trust, and the backup is untouched', async () => {
    const dir = tempDir();
    const { key, pub } = await keygen(dir, 'ops.key');
    const { file, data } = await signedBackup(dir, key);
    const sha = `${file}.sha256`;
    const line = readFileSync(sha, 'utf8');
    writeFileSync(sha, (line[0] === 'f' ? 'e' : 'f') + line.slice(1));

    expect(minisign(['-V', '-p', pub, '-m', sha]).status).toBe(1);
    const { code, result, messages } = await verifyJson([file, '--trust', pub]);
    expect(code).toBe(1);
    expect(result.status).toBe('tampered');
    expect(messages).toContain(`${sha}: modified since it was signed`);
    expect(messages).not.toMatch(/mismatch/); // the forged digest did not judge the backup
    expect(result.digests).toBeUndefined();
    const text = await runCli(['verify', file, '--trust', pub]);
    expect(text.stdout).toMatch(/✗ tampered\s+.*site-20260130\.tar\.gz/);
    expect(readFileSync(file).equals(data)).toBe(true);

    // Without --trust nothing changes: the edited digest reads as a mismatch.
    expect((await verifyJson([file])).result.status).toBe('hash_mismatch');
  });

  it('a block hash edited by hand is tampered, also when only the block map is used', async () => {
    const dir = tempDir();
    const { key, pub } = await keygen(dir, 'ops.key');
    const { file, data } = await signedBackup(dir, key, ['--blocks', '--block-size', '64KiB']);
    const mapPath = `${file}.blocks.json`;
    const map = JSON.parse(readFileSync(mapPath, 'utf8'));
    map.blocks[3].hash = map.blocks[3].hash.replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
    writeFileSync(mapPath, JSON.stringify(map));

    expect(minisign(['-V', '-p', pub, '-m', mapPath]).status).toBe(1);
    const { code, result, messages } = await verifyJson([file, '--blocks', '--trust', pub]);
    expect(code).toBe(1);
    expect(result.status).toBe('tampered');
    expect(messages).toContain(`${mapPath}: modified since it was signed`);
    expect(result.regions).toBeUndefined();
    expect(readFileSync(file).equals(data)).toBe(true);
    expect((await verifyJson([file, '--blocks'])).result.status).toBe('corrupt_blocks');
  });

  it('a manifest broken beyond parsing is tampered under --trust, not merely malformed', async () => {
    const dir = tempDir();
    const { key, pub } = await keygen(dir, 'ops.key');
    const { file } = await signedBackup(dir, key);
    const json = `${file}.manifest.json`;
    writeFileSync(json, readFileSync(json, 'utf8').replace('{', '['));
    const trusted = await runCli(['verify', dir, '--trust', pub, '--json']);
    expect(trusted.code).toBe(1);
    const bad = parseJsonOutput(trusted).results.find((r) => r.file === json)!;
    expect(bad.status).toBe('tampered');
    expect(bad.findings[0].message).toContain(`${json}: modified since it was signed`);
    expect((await runCli(['verify', dir])).code).toBe(2);
  });

  it('a corrupted backup with valid signatures is a hash mismatch, not tampered', async () => {
    const dir = tempDir();
    const { key, pub } = await keygen(dir, 'ops.key');
    const { file, data } = await signedBackup(dir, key);
    const damaged = Buffer.from(data);
    damaged[300_000]! ^= 0xff;
    writeFileSync(file, damaged);
    const { code, result } = await verifyJson([file, '--trust', pub]);
    expect(code).toBe(1);
    expect(result.status).toBe('hash_mismatch');
    expect(result.signatures.every((s: { state: string }) => s.state === 'valid')).toBe(true);
  });

  it('a manifest forged and signed with another key is tampered, naming that key', async () => {
    const dir = tempDir();
    const ops = await keygen(dir, 'ops.key');
    const attacker = await keygen(dir, 'attacker.key');
    const { file } = await signedBackup(dir, ops.key);
    const sha = `${file}.sha256`;
    writeFileSync(sha, `${'0'.repeat(64)}  site-20260130.tar.gz\n`);
    expect(minisign(['-S', '-s', attacker.key, '-m', sha]).status).toBe(0);

    expect(minisign(['-V', '-p', ops.pub, '-m', sha]).status).toBe(1);
    const { code, result, messages } = await verifyJson([file, '--trust', ops.pub]);
    expect(code).toBe(1);
    expect(result.status).toBe('tampered');
    expect(messages).toContain(`${sha}: signed by key ${attacker.keyId}, which is not trusted (trusted: ${ops.keyId})`);
    expect(result.signatures.find((s: { manifest: string }) => s.manifest === sha)).toEqual({ manifest: sha, state: 'other_key', keyId: attacker.keyId });
    // Trusting both keys (a comma list) accepts the signature, and the forged digest is then simply wrong.
    expect((await verifyJson([file, '--trust', `${ops.pub},${attacker.pub}`])).result.status).toBe('hash_mismatch');
  });

  it('a missing, malformed or altered .minisig is tampered', async () => {
    const dir = tempDir();
    const { key, pub } = await keygen(dir, 'ops.key');
    const { file } = await signedBackup(dir, key);
    const json = `${file}.manifest.json`;
    const sig = `${file}.sha256.minisig`;
    const original = readFileSync(sig, 'utf8');

    unlinkSync(`${json}.minisig`);
    let v = await verifyJson([file, '--trust', pub]);
    expect(v.code).toBe(1);
    expect(v.result.status).toBe('tampered');
    expect(v.messages).toContain(`${json}: no signature (site-20260130.tar.gz.manifest.json.minisig not found)`);
    expect(await runCli(['manifest', file, '--sign', key, '--sha256sum', '--force']).then((r) => r.code)).toBe(0);

    // The trusted comment is signed too: editing it is caught (by minisign as well).
    writeFileSync(sig, original.replace(/timestamp:\d+/, 'timestamp:1'));
    expect(minisign(['-V', '-p', pub, '-m', `${file}.sha256`]).status).toBe(1);
    v = await verifyJson([file, '--trust', pub]);
    expect(v.result.status).toBe('tampered');
    expect(v.messages).toContain('trusted comment in site-20260130.tar.gz.sha256.minisig was altered');

    writeFileSync(sig, original.split('\n').slice(0, 2).join('\n'));
    v = await verifyJson([file, '--trust', pub]);
    expect(v.result.status).toBe('tampered');
    expect(v.messages).toContain('the signature file site-20260130.tar.gz.sha256.minisig is malformed');
  });

  it('names a key as minisign does: hex without leading zeros (one key in sixteen has one)', () => {
    expect(keyIdHex(Buffer.from('0102030405060700', 'hex'))).toBe('7060504030201');
    expect(keyIdHex(Buffer.from('01020304050607a0', 'hex'))).toBe('A007060504030201');
  });

  it('accepts keys made by minisign -G -W and signatures made by minisign -S, prehashed and legacy', async () => {
    const dir = tempDir();
    expect(minisign(['-G', '-W', '-p', 'mk.pub', '-s', 'mk.key'], { cwd: dir }).status).toBe(0);
    writeFixture(dir, 'web-20260130.tar.gz', bytes('web', 200_000));
    writeFixture(dir, 'db-20260130.sql.gz', bytes('db', 90_000));
    execFileSync('bash', ['-c', 'sha256sum *.gz > SHA256SUMS && md5sum *.gz > MD5SUMS'], { cwd: dir });
    expect(minisign(['-S', '-s', 'mk.key', '-m', 'SHA256SUMS'], { cwd: dir }).status).toBe(0);
    expect(minisign(['-S', '-l', '-s', 'mk.key', '-m', 'MD5SUMS'], { cwd: dir }).status).toBe(0);
    expect(sigAlgorithm(join(dir, 'MD5SUMS.minisig'))).toBe('Ed');

    const run = await runCli(['verify', dir, '--trust', join(dir, 'mk.pub'), '--json']);
    expect(run.code, run.stdout).toBe(0);
    const results = parseJsonOutput(run).results;
    expect(results.map((r) => r.status)).toEqual(['verified', 'verified']);
    expect(results[0]!.signatures.map((s: { state: string }) => s.state)).toEqual(['valid', 'valid']);

    // Key ids are printed as minisign prints them: another trusted key names minisign's key id exactly.
    const other = await keygen(dir, 'ops.key');
    const mkId = readFileSync(join(dir, 'mk.pub'), 'utf8').split('\n')[0]!.replace('untrusted comment: minisign public key ', '');
    const wrong = await verifyJson([join(dir, 'SHA256SUMS'), '--trust', other.pub]);
    expect(wrong.result.status).toBe('tampered');
    expect(wrong.messages).toContain(`signed by key ${mkId}, which is not trusted`);

    // And minisign's own -W key signs through --sign, in a form minisign checks.
    const made = await runCli(['manifest', join(dir, 'web-20260130.tar.gz'), '--sign', join(dir, 'mk.key')]);
    expect(made.code, made.stderr).toBe(0);
    expect(minisign(['-V', '-p', 'mk.pub', '-m', 'web-20260130.tar.gz.manifest.json'], { cwd: dir }).status).toBe(0);
  });

  it('refuses an encrypted minisign key or the wrong half of a pair before writing anything (exit 2)', async () => {
    const dir = tempDir();
    expect(minisign(['-G', '-p', 'enc.pub', '-s', 'enc.key'], { cwd: dir, input: 'pw\npw\n' }).status).toBe(0);
    const file = writeFixture(dir, 'site-20260130.tar.gz', bytes('site', 1000));
    const before = readdirSync(dir).sort();

    const encrypted = await runCli(['manifest', file, '--sign', join(dir, 'enc.key'), '--sha256sum']);
    expect(encrypted.code).toBe(2);
    expect(encrypted.stderr).toContain(`${join(dir, 'enc.key')}: is an encrypted minisign secret key`);
    expect(encrypted.stderr).toContain('minisign -G -W');
    expect(encrypted.stderr).toContain('restorable keygen');

    const pubAsSecret = await runCli(['manifest', file, '--sign', join(dir, 'enc.pub')]);
    expect(pubAsSecret.code).toBe(2);
    expect(pubAsSecret.stderr).toContain('is a public key');
    expect(readdirSync(dir).sort()).toEqual(before);

    const secretAsTrust = await runCli(['verify', file, '--trust', join(dir, 'enc.key')]);
    expect(secretAsTrust.code).toBe(2);
    expect(secretAsTrust.stderr).toContain('is a secret key');
  });
});
