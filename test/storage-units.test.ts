import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rangesOf } from '../src/core/locations/read-copy.js';
import { BlockSet, sampleOrder } from '../src/core/locations/coverage.js';
import { partSizeCandidates, providerEvidence } from '../src/core/locations/provider-checksum.js';
import { expectedIn } from '../src/core/locations/config.js';
import { storedChecksums } from '../src/core/storage/s3-location.js';
import { parseLocationArg, parseLocationUri, redactUri } from '../src/core/storage/uri.js';

/**
 * The judgements no loopback server can exercise (s3rver keeps neither
 * x-amz-checksum-sha256 nor AWS-style multipart ETags), and URI presets.
 */

const MiB = 1024 * 1024;
const sha = createHash('sha256').update('good bytes').digest();
const md5 = createHash('md5').update('good bytes').digest('hex');
const ref = { size: 100 * MiB, sha256: sha.toString('hex'), md5, etags: { [8 * MiB]: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-13' } };

describe('provider checksums', () => {
  it('a full-object x-amz-checksum-sha256 is compared with the manifest\'s sha256; a composite one is not', () => {
    expect(providerEvidence({ key: 'k', size: ref.size, checksums: { sha256: sha.toString('hex') }, checksumType: 'FULL_OBJECT' }, ref)).toMatchObject({ verdict: 'match', via: 'checksum-sha256' });
    const other = createHash('sha256').update('other').digest('base64');
    expect(providerEvidence({ key: 'k', size: ref.size, checksums: { sha256: Buffer.from(other, 'base64').toString('hex') } }, ref)).toMatchObject({ verdict: 'mismatch', via: 'checksum-sha256' });
    // What a HEAD returned: a composite checksum (of the parts' checksums) is not the object's, and is left out.
    expect(storedChecksums({ ChecksumSHA256: `${other}-13`, ChecksumType: 'COMPOSITE', $metadata: {} })).toEqual({});
    expect(storedChecksums({ ChecksumCRC32C: 'AAAAAA==-3', $metadata: {} })).toEqual({});
    expect(storedChecksums({ ChecksumCRC64NVME: 'rosUhgp5mIg=', ChecksumType: 'FULL_OBJECT', $metadata: {} })).toEqual({ crc64nvme: 'ae8b14860a799888' });
    // A "CRC64NVME" of four bytes is some other checksum a store filled in: it proves nothing.
    expect(storedChecksums({ ChecksumCRC64NVME: 'AAAAAA==', $metadata: {} })).toEqual({});
    // B2 keeps a large file's SHA-1 in its file info, when the uploader set it.
    expect(storedChecksums({ Metadata: { large_file_sha1: 'A'.repeat(40) }, $metadata: {} })).toEqual({ sha1: 'a'.repeat(40) });
    expect(storedChecksums({ Metadata: { large_file_sha1: 'none' }, $metadata: {} })).toEqual({});
  });

  it('a full-object CRC64NVME or CRC32C judges a copy (multipart or not) before the ETag; any that disagrees decides', () => {
    const crcs = { ...ref, checksums: { crc64nvme: 'ae8b14860a799888', crc32c: 'e3069283' } };
    const multipart = { key: 'k', size: ref.size, etag: 'c'.repeat(32) + '-13' };
    expect(providerEvidence({ ...multipart, checksums: { crc64nvme: 'ae8b14860a799888' } }, crcs)).toMatchObject({ verdict: 'match', via: 'checksum-crc64nvme' });
    expect(providerEvidence({ ...multipart, checksums: { crc64nvme: 'ae8b14860a799888', crc32c: '00000000' } }, crcs)).toMatchObject({ verdict: 'mismatch', via: 'checksum-crc32c', expected: 'e3069283', actual: '00000000' });
    // A checksum the good bytes' is not known for falls back to the ETag.
    expect(providerEvidence({ key: 'k', size: ref.size, etag: md5, checksums: { crc32: '12345678' } }, crcs)).toMatchObject({ verdict: 'match', via: 'etag' });
  });

  it('a single-part ETag is an MD5; a multipart one is compared under the part size the store tells, or a guessed one', () => {
    expect(providerEvidence({ key: 'k', size: ref.size, etag: md5 }, ref)).toMatchObject({ verdict: 'match', via: 'etag' });
    expect(providerEvidence({ key: 'k', size: ref.size, etag: 'f'.repeat(32) }, ref).verdict).toBe('mismatch');
    expect(providerEvidence({ key: 'k', size: ref.size, etag: md5 }, { ...ref, md5: undefined }).verdict).toBe('unknown');
    // 100 MiB in 8 MiB parts is 13 parts: the same ETag matches, another one is a mismatch only if the store told the part size.
    expect(providerEvidence({ key: 'k', size: ref.size, etag: 'a'.repeat(32) + '-13' }, ref).verdict).toBe('match');
    expect(providerEvidence({ key: 'k', size: ref.size, etag: 'b'.repeat(32) + '-13', partSize: 8 * MiB }, ref).verdict).toBe('mismatch');
    expect(providerEvidence({ key: 'k', size: ref.size, etag: 'b'.repeat(32) + '-13' }, ref).verdict).toBe('unknown');
    // An ETag that is not an MD5 (SSE-KMS, B2 large files) proves nothing.
    expect(providerEvidence({ key: 'k', size: ref.size, etag: 'not-an-md5' }, ref).verdict).toBe('unknown');
  });

  it('part-size candidates are the common sizes (and the even split) that give that many parts', () => {
    expect(partSizeCandidates(100 * MiB, 13)).toContain(8 * MiB);
    expect(partSizeCandidates(100 * MiB, 20)).toContain(5 * MiB);
    for (const p of partSizeCandidates(777 * MiB + 5, 7)) expect(Math.ceil((777 * MiB + 5) / p)).toBe(7);
    expect(partSizeCandidates(100 * MiB, 13, 8 * MiB)).toEqual([8 * MiB]);
  });
});

describe('sampling', () => {
  it('a fresh cycle leads with the first and the last block, the rest distinct and at random', () => {
    const none = BlockSet.empty(1000);
    const picks = sampleOrder(1000, 100, none);
    expect(picks).toHaveLength(100);
    expect(new Set(picks).size).toBe(100);
    expect(picks.slice(0, 2)).toEqual([0, 999]);
    expect(sampleOrder(1000, 100, none)).not.toEqual(picks);
    expect(sampleOrder(3, 3, none).sort()).toEqual([0, 1, 2]);
  });

  it('carried forward, samples read blocks not yet read first, so ten 10% runs read every block exactly once', () => {
    const done = BlockSet.empty(1000);
    const seen = new Map<number, number>();
    for (let run = 0; run < 10; run++) {
      const picks = sampleOrder(1000, 100, done);
      expect(picks).toHaveLength(100);
      for (const i of picks) {
        seen.set(i, (seen.get(i) ?? 0) + 1);
        done.add(i);
      }
    }
    expect(done.count()).toBe(1000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    // Kept as base64 in the ledger and read back whole.
    expect(BlockSet.fromBase64(1000, done.toBase64()).count()).toBe(1000);
    expect(sampleOrder(1000, 100, done)).toEqual([]);
  });

  it('adjacent blocks become one ranged request, of at most 8 MiB', () => {
    const map = { block_size: MiB, blocks: Array.from({ length: 20 }, (_, i) => ({ block: i, offset: i * MiB, size: MiB, hash: '' })) } as never;
    expect(rangesOf(map, [0, 1, 2, 5, 6, 19])).toEqual([{ first: 0, last: 2 }, { first: 5, last: 6 }, { first: 19, last: 19 }]);
    expect(rangesOf(map, Array.from({ length: 10 }, (_, i) => i))).toEqual([{ first: 0, last: 7 }, { first: 8, last: 9 }]);
  });
});

describe('location URIs', () => {
  const env = { AWS_ACCESS_KEY_ID: 'AKIAALL', AWS_SECRET_ACCESS_KEY: 'all-secret', RESTORABLE_OFFSITE_ACCESS_KEY_ID: 'AKIAOWN', RESTORABLE_OFFSITE_SECRET_ACCESS_KEY: 'own-secret' };

  it('presets fill in R2 and B2 endpoints; an IP endpoint means path style', () => {
    expect(parseLocationUri('r2', 'r2://backups/nightly?account=0123abcd', {}, {})).toMatchObject({ kind: 's3', bucket: 'backups', prefix: 'nightly', endpoint: 'https://0123abcd.r2.cloudflarestorage.com', region: 'auto' });
    expect(parseLocationUri('b2', 'b2://backups-eu/db?region=eu-central-003', {}, {})).toMatchObject({ endpoint: 'https://s3.eu-central-003.backblazeb2.com', region: 'eu-central-003' });
    expect(parseLocationUri('m', 's3://bucket?endpoint=http://10.0.0.5:9000', {}, {})).toMatchObject({ pathStyle: true, prefix: '' });
    expect(parseLocationUri('a', 's3://bucket/p', {}, { AWS_REGION: 'eu-west-1' })).toMatchObject({ pathStyle: false, region: 'eu-west-1', endpoint: undefined });
    expect(() => parseLocationUri('r2', 'r2://backups/x', {}, {})).toThrow(/needs the account id/);
  });

  it('keys: the location\'s own variables first, then AWS_*', () => {
    expect(parseLocationArg('offsite=s3://bucket/p', env)).toMatchObject({ credentials: { accessKeyId: 'AKIAOWN', secretAccessKey: 'own-secret' } });
    expect(parseLocationArg('other=s3://bucket/p', env)).toMatchObject({ credentials: { accessKeyId: 'AKIAALL' } });
    expect(parseLocationArg('local=/srv/backups', env)).toEqual({ name: 'local', kind: 'local', root: '/srv/backups' });
  });

  it('refuses what it cannot use, without echoing secrets', () => {
    expect(() => parseLocationArg('noequals')).toThrow(/expected NAME=URI/);
    expect(() => parseLocationArg('x=s3://B/p')).toThrow(/not a valid bucket name/);
    expect(() => parseLocationArg('x=s3://bucket/p?color=red')).toThrow(/unknown parameter "color"/);
    expect(redactUri('s3://AKIA:secret@bucket/p?x_secret=abc&region=r')).toBe('s3://bucket/p?x_secret=…&region=r');
  });

  it('rules say where a backup need not be', () => {
    const rules = [{ match: '*.wal.gz', not_expected_in: ['local'] }, { match: 'db-*', expected_in: ['r2', 'b2'] }];
    expect(expectedIn(rules, 'pg/000001.wal.gz', 'local')).toBe(false);
    expect(expectedIn(rules, 'pg/000001.wal.gz', 'r2')).toBe(true);
    expect(expectedIn(rules, 'db-1.sql.gz', 'local')).toBe(false);
    expect(expectedIn(rules, 'site.tar.gz', 'local')).toBe(true);
  });
});
