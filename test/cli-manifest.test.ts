import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { bytes, digest, tempDir, writeFixture } from './helpers/fixtures.js';
import { crc32cReference, crc64nvmeReference } from './helpers/crc-reference.js';

describe('restorable manifest', () => {
  it('writes a JSON manifest both reader generations accept, a block map and a .sha256 that sha256sum -c accepts', async () => {
    const dir = tempDir();
    const data = bytes('backup', 3 * 1024 * 1024 + 17);
    const file = writeFixture(dir, 'site-20260130.tar.gz', data);
    const mtime = statSync(file).mtimeMs;
    const run = await runCli(['manifest', file, '--algo', 'md5,sha512', '--blocks', '--block-size', '1MiB', '--sha256sum', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = parseJsonOutput(run);
    expect(doc.results[0]!.status).toBe('manifest_created');

    const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8'));
    expect(manifest).toMatchObject({
      backup_file: 'site-20260130.tar.gz',
      file_size: data.length,
      size: data.length,
      hash: digest('sha256', data),
      hashes: { md5: digest('md5', data), sha256: digest('sha256', data), sha512: digest('sha512', data), crc64nvme: crc64nvmeReference(data), crc32c: crc32cReference(data) },
    });
    expect(Date.parse(manifest.created_at)).not.toBeNaN();

    const map = JSON.parse(readFileSync(`${file}.blocks.json`, 'utf8'));
    expect(Object.keys(map)).toEqual(['file', 'file_size', 'block_size', 'total_blocks', 'file_hash', 'blocks']);
    expect(map).toMatchObject({ file: 'site-20260130.tar.gz', file_size: data.length, block_size: 1048576, total_blocks: 4, file_hash: digest('sha256', data) });
    expect(map.blocks[3]).toEqual({ block: 3, offset: 3 * 1048576, size: 17, hash: digest('sha256', data.subarray(3 * 1048576)) });

    // The real sha256sum, run from the backup's folder, accepts our line.
    expect(execFileSync('sha256sum', ['-c', 'site-20260130.tar.gz.sha256'], { cwd: dir, encoding: 'utf8' })).toBe('site-20260130.tar.gz: OK\n');
    // The backup itself was only read.
    expect(readFileSync(file).equals(data)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(mtime);
    // No temp files left beside the backup.
    expect(readdirSync(dir).sort()).toEqual(['site-20260130.tar.gz', 'site-20260130.tar.gz.blocks.json', 'site-20260130.tar.gz.manifest.json', 'site-20260130.tar.gz.sha256']);

    const verify = await runCli(['verify', file, '--json']);
    expect(verify.code).toBe(0);
    expect(Object.keys(parseJsonOutput(verify).results[0]!.digests).sort()).toEqual(['md5', 'sha256', 'sha512']);
  });

  it('records the CRC64NVME and CRC32C a bucket keeps for an object, from the same read; verify leaves them to buckets when a digest is there', async () => {
    expect(crc64nvmeReference(Buffer.from('123456789'))).toBe('ae8b14860a799888');
    expect(crc32cReference(Buffer.from('123456789'))).toBe('e3069283');
    const dir = tempDir();
    // Sizes that end mid-word and span many reads of the hash engine.
    const data = bytes('crc', 700 * 1024 + 13);
    const file = writeFixture(dir, 'db.sql.gz', data);
    expect((await runCli(['manifest', file])).code).toBe(0);
    const hashes = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')).hashes;
    expect(hashes).toEqual({ sha256: digest('sha256', data), crc64nvme: crc64nvmeReference(data), crc32c: crc32cReference(data) });
    // verify hashes sha256 only; asked for the CRC, it checks it and finds a change.
    const verify = await runCli(['verify', file, '--json']);
    expect(Object.keys(parseJsonOutput(verify).results[0]!.digests)).toEqual(['sha256']);
    const changed = Buffer.from(data);
    changed[500_000]! ^= 0x10;
    writeFileSync(file, changed);
    const byCrc = await runCli(['verify', file, '--algo', 'crc64nvme', '--json']);
    expect(byCrc.code).toBe(1);
    expect(parseJsonOutput(byCrc).results[0]!.digests.crc64nvme).toMatchObject({ ok: false, expected: crc64nvmeReference(data), actual: crc64nvmeReference(changed) });
    // --no-crc leaves them out.
    expect((await runCli(['manifest', file, '--force', '--no-crc'])).code).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')).hashes)).toEqual(['sha256']);
  });

  it('refuses to replace a manifest without --force, and replaces it with --force', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'a.tar', bytes('a', 1000));
    expect((await runCli(['manifest', file])).code).toBe(0);
    writeFileSync(file, bytes('changed', 1000));
    const again = await runCli(['manifest', file]);
    expect(again.code).toBe(2);
    expect(again.stdout + again.stderr).toContain('a.tar.manifest.json: already exists (use --force to replace it)');
    expect((await runCli(['verify', file])).code).toBe(1);
    expect((await runCli(['manifest', file, '--force'])).code).toBe(0);
    expect((await runCli(['verify', file])).code).toBe(0);
  });

  it('handles names that need escaping in a sha256sum line', async () => {
    const dir = tempDir();
    const name = 'odd\\name.tar';
    const file = writeFixture(dir, name, bytes('odd', 100));
    expect((await runCli(['manifest', file, '--sha256sum'])).code).toBe(0);
    expect(readFileSync(`${file}.sha256`, 'utf8').startsWith('\\')).toBe(true);
    expect(execFileSync('sha256sum', ['-c', `${name}.sha256`], { cwd: dir, encoding: 'utf8' })).toContain(': OK');
    expect((await runCli(['verify', `${file}.sha256`])).code).toBe(0);
  });

  it('refuses to treat a manifest as a backup and reports a missing file with exit 2', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'x.sha256', 'abc');
    const run = await runCli(['manifest', file]);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toContain('is a manifest itself');
    const missing = await runCli(['manifest', join(dir, 'nope.tar.gz')]);
    expect(missing.code).toBe(2);
    expect(missing.stdout + missing.stderr).toContain('nope.tar.gz: no such file or directory');
  });
});
