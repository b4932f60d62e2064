import { createHash } from 'node:crypto';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, RestorableError } from '../src/core/errors.js';
import { atomicWrite } from '../src/core/manifest/atomic-write.js';
import { parseBlockMap } from '../src/core/manifest/block-map.js';
import { algorithmHint, checksumLine, parseChecksumFile } from '../src/core/manifest/checksum-file.js';
import { discover } from '../src/core/manifest/discover.js';
import { parseJsonManifest } from '../src/core/manifest/json-manifest.js';
import { loadManifest } from '../src/core/manifest/load.js';
import type { BlockMap } from '../src/core/manifest/model.js';
import { escapesFolder, resolveListedName } from '../src/core/manifest/resolve.js';
import { RESULTS_FILE_NAME, parseResultsFile, readResultsFile, updateResultsFile } from '../src/core/manifest/results-file.js';
import { parseJsonFile } from '../src/core/manifest/safe-json.js';
import { buildBlockMap, renderBlockMap, renderJsonManifest } from '../src/core/manifest/writers.js';
import { listAll, useTmpDirs, writeFiles } from './helpers/tmp.js';

const tmp = useTmpDirs();
const hex = (text: string, algo = 'sha256') => createHash(algo).update(text).digest('hex');
const H64 = hex('a');
const H64b = hex('b');

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, none was thrown');
}

/** A ManifestError naming `file` and `field`, in its properties and in its message. */
function expectManifestError(err: unknown, file: string, field: string | undefined, text?: RegExp): void {
  expect(err).toBeInstanceOf(ManifestError);
  const e = err as ManifestError;
  expect(e.file).toBe(file);
  expect(e.field).toBe(field);
  expect(e.message.startsWith(`${file}: `)).toBe(true);
  if (field) expect(e.message).toContain(`${field}: `);
  if (text) expect(e.message).toMatch(text);
}

describe('checksum lists: coreutils lines', () => {
  it('reads "HEX  NAME" and binary "HEX *NAME", lowercasing hex and numbering lines', () => {
    const text = `${H64.toUpperCase()}  a.tar.gz\n${H64b} *b file.tar.gz\n`;
    const entries = parseChecksumFile('/m/SHA256SUMS', text);
    expect(entries).toEqual([
      { manifest: '/m/SHA256SUMS', kind: 'coreutils', line: 1, listedName: 'a.tar.gz', digests: { sha256: H64 } },
      { manifest: '/m/SHA256SUMS', kind: 'coreutils', line: 2, listedName: 'b file.tar.gz', digests: { sha256: H64b } },
    ]);
  });

  it('handles CRLF endings, skips blank lines and # comments, keeps real line numbers', () => {
    const text = `# made by sha256sum\r\n\r\n${H64}  a.tar.gz\r\n   \r\n# another\r\n${H64b} *b.tar.gz\r\n`;
    const entries = parseChecksumFile('/m/x.sha256', text);
    expect(entries.map((e) => [e.line, e.listedName, e.digests.sha256])).toEqual([
      [3, 'a.tar.gz', H64],
      [6, 'b.tar.gz', H64b],
    ]);
    expect(entries.some((e) => e.listedName.includes('\r'))).toBe(false);
  });

  it('unescapes GNU leading-backslash names (\\\\ and \\n) and checksumLine writes them back', () => {
    const text = `\\${H64}  dir\\\\odd\\nname.tar.gz\n${H64b}  plain\\kept.tar.gz\n`;
    const [odd, plain] = parseChecksumFile('/m/SHA256SUMS', text);
    expect(odd!.listedName).toBe('dir\\odd\nname.tar.gz');
    expect(plain!.listedName).toBe('plain\\kept.tar.gz'); // no leading backslash: taken literally
    const line = checksumLine(H64, 'dir\\odd\nname.tar.gz');
    expect(line).toBe(`\\${H64}  dir\\\\odd\\nname.tar.gz\n`);
    expect(parseChecksumFile('/m/SHA256SUMS', line)[0]!.listedName).toBe('dir\\odd\nname.tar.gz');
    expect(checksumLine(H64, 'a.tar.gz')).toBe(`${H64}  a.tar.gz\n`);
  });

  it.each([
    ['x.tar.gz.sha256', 'sha256', 64],
    ['x.tar.gz.sha512', 'sha512', 128],
    ['x.tar.gz.md5', 'md5', 32],
    ['x.tar.gz.sha1', 'sha1', 40],
    ['x.tar.gz.b3', 'blake3', 64],
    ['SHA256SUMS', 'sha256', 64],
    ['SHA512SUMS', 'sha512', 128],
    ['MD5SUMS', 'md5', 32],
    ['B3SUMS', 'blake3', 64],
  ] as const)('infers the algorithm of %s from its name (%s)', (name, algo, len) => {
    expect(algorithmHint(`/m/${name}`)).toBe(algo);
    const [e] = parseChecksumFile(`/m/${name}`, `${'c'.repeat(len)}  x.tar.gz\n`);
    expect(e!.digests).toEqual({ [algo]: 'c'.repeat(len) });
    expect(e!.kind).toBe(algo === 'blake3' ? 'b3sum' : 'coreutils');
  });

  it('infers the algorithm from the digest length in CHECKSUMS', () => {
    expect(algorithmHint('/m/CHECKSUMS')).toBeUndefined();
    const text = ['d'.repeat(32), 'd'.repeat(40), 'd'.repeat(64), 'd'.repeat(128)].map((h, i) => `${h}  f${i}.gz`).join('\n');
    const algos = parseChecksumFile('/m/CHECKSUMS', text).map((e) => Object.keys(e.digests)[0]);
    expect(algos).toEqual(['md5', 'sha1', 'sha256', 'sha512']);
  });

  it.each([
    ['a digest of the wrong length for the file name', '/m/x.md5', `${H64}  x.tar.gz`, 'line 1', /md5 digest has 64 hex digits/],
    ['a length matching no algorithm', '/m/CHECKSUMS', `${'e'.repeat(50)}  x.tar.gz`, 'line 1', /50 hex digits/],
    ['non-hex text', '/m/SHA256SUMS', `${H64}  ok.gz\nhello world`, 'line 2', /"hello" is not hexadecimal/],
    ['a digest without a name', '/m/SHA256SUMS', `${H64}  `, 'line 1', /no file name/],
  ])('rejects %s with an error naming the line', (_, file, text, field, message) => {
    expectManifestError(caught(() => parseChecksumFile(file, text)), file, field, message);
  });

  it('rejects an empty list and NUL bytes as errors about the whole file', () => {
    expectManifestError(caught(() => parseChecksumFile('/m/SHA256SUMS', '# nothing\n\n')), '/m/SHA256SUMS', undefined, /lists no files/);
    expectManifestError(caught(() => parseChecksumFile('/m/SHA256SUMS', `${H64}  a\0b`)), '/m/SHA256SUMS', undefined, /NUL/);
  });
});

describe('checksum lists: BSD tags and b3sum', () => {
  it('reads SHA256, MD5, SHA2-256, SHA512, SHA1 and BLAKE3 tag lines', () => {
    const md5 = hex('a', 'md5');
    const text = [
      `SHA256 (a.tar.gz) = ${H64.toUpperCase()}`,
      `MD5 (b (copy).tar.gz) = ${md5}`,
      `SHA2-256 (c.tar.gz) = ${H64b}`,
      `SHA512 (d.tar.gz) = ${hex('a', 'sha512')}`,
      `SHA1 (e.tar.gz) = ${hex('a', 'sha1')}`,
      `BLAKE3 (f.tar.gz) = ${H64}`,
    ].join('\n');
    const entries = parseChecksumFile('/m/CHECKSUMS', text);
    expect(entries.every((e) => e.kind === 'bsd-tag')).toBe(true);
    expect(entries.map((e) => [e.listedName, Object.keys(e.digests)[0]])).toEqual([
      ['a.tar.gz', 'sha256'], ['b (copy).tar.gz', 'md5'], ['c.tar.gz', 'sha256'],
      ['d.tar.gz', 'sha512'], ['e.tar.gz', 'sha1'], ['f.tar.gz', 'blake3'],
    ]);
    expect(entries[0]!.digests.sha256).toBe(H64);
    expect(entries[1]!.digests.md5).toBe(md5);
  });

  it('rejects an unsupported algorithm (SHA384) with an error naming the line', () => {
    const text = `SHA256 (a.tar.gz) = ${H64}\nSHA384 (b.tar.gz) = ${'f'.repeat(96)}\n`;
    expectManifestError(caught(() => parseChecksumFile('/m/CHECKSUMS', text)), '/m/CHECKSUMS', 'line 2', /unsupported algorithm "SHA384"/);
  });

  it('rejects a tag line whose digest does not fit its algorithm', () => {
    const text = `MD5 (a.tar.gz) = ${H64}`;
    expectManifestError(caught(() => parseChecksumFile('/m/CHECKSUMS', text)), '/m/CHECKSUMS', 'line 1', /md5 digest has 64/);
  });

  it('reads b3sum output in a .b3 file as blake3, not sha256', () => {
    const [e] = parseChecksumFile('/m/backup.tar.zst.b3', `${H64}  backup.tar.zst\n`);
    expect(e).toMatchObject({ kind: 'b3sum', listedName: 'backup.tar.zst', digests: { blake3: H64 } });
    expect(e!.digests.sha256).toBeUndefined();
  });
});

describe('resolving listed names', () => {
  it('resolves absolute names by basename in the manifest folder, and stays inside for relative names', () => {
    expect(resolveListedName('/data/m/SHA256SUMS', '/backups/x.tar.gz')).toEqual({ file: '/data/m/x.tar.gz' });
    expect(resolveListedName('/data/m/SHA256SUMS', 'C:\\backups\\x.tar.gz')).toEqual({ file: '/data/m/x.tar.gz' });
    expect(resolveListedName('/data/m/SHA256SUMS', 'sub/../x.tar.gz')).toEqual({ file: '/data/m/x.tar.gz' });
    expect(resolveListedName('/data/m/SHA256SUMS', 'sub/x.tar.gz')).toEqual({ file: '/data/m/sub/x.tar.gz' });
  });

  it.each(['../x.tar.gz', 'sub/../../x.tar.gz', '..', '.', '/backups/..', 'a\0b'])('refuses %j', (name) => {
    const r = resolveListedName('/data/m/SHA256SUMS', name);
    expect(r).toHaveProperty('refused');
    expect(r).not.toHaveProperty('file');
  });

  it('loadManifest binds absolute names to the manifest folder and marks ../ names refused', async () => {
    const dir = await tmp();
    await writeFiles(dir, { 'SHA256SUMS': `${H64}  /backups/x.tar.gz\n${H64b}  ../outside.tar.gz\n` });
    const [abs, out] = await loadManifest(join(dir, 'SHA256SUMS'));
    expect(abs!.file).toBe(join(dir, 'x.tar.gz'));
    expect(out!.file).toBeUndefined();
    expect(out!.refused).toMatch(/outside the manifest's folder/);
  });

  it('escapesFolder refuses a link inside the folder that points outside it', async () => {
    const root = await tmp();
    await writeFiles(root, { 'outside.tar.gz': 'x', 'in/real.tar.gz': 'y' });
    await symlink(join(root, 'outside.tar.gz'), join(root, 'in', 'link.tar.gz'));
    expect(await escapesFolder(join(root, 'in', 'link.tar.gz'), join(root, 'in'))).toMatch(/outside the manifest's folder/);
    expect(await escapesFolder(join(root, 'in', 'real.tar.gz'), join(root, 'in'))).toBeUndefined();
  });

  it.each([
    ['NAME.sha256', 'backup-20260130.tar.gz.sha256'],
    ['STEM.sha256 (whole .tar.gz replaced)', 'backup-20260130.sha256'],
  ])('binds a sidecar listing "-" to its backup: %s', async (_, sidecar) => {
    const dir = await tmp();
    await writeFiles(dir, { 'backup-20260130.tar.gz': 'data', 'other-20260131.tar.gz': 'x', [sidecar]: `${H64}  -\n` });
    const [e] = await loadManifest(join(dir, sidecar));
    expect(e!.file).toBe(join(dir, 'backup-20260130.tar.gz'));
  });

  it('refuses a "-" sidecar that matches no backup, or several', async () => {
    const dir = await tmp();
    await writeFiles(dir, { 'db.sql.gz': 'a', 'db.tar.gz': 'b', 'db.sha256': `${H64}  -\n`, 'none.sha256': `${H64}  -\n` });
    const file = join(dir, 'db.sha256');
    expectManifestError(await loadManifest(file).catch((e: unknown) => e), file, 'line 1', /several backups match.*db\.sql\.gz/);
    const none = join(dir, 'none.sha256');
    expectManifestError(await loadManifest(none).catch((e: unknown) => e), none, 'line 1', /no backup matches/);
  });
});

describe('JSON manifests', () => {
  const md5 = hex('a', 'md5');
  const sha512 = hex('a', 'sha512');
  const legacy = { hash: H64.toUpperCase(), size: 1234, created_at: '2026-01-30T02:00:00Z' };
  const full = { backup_file: 'backup.tar.gz', created_at: '2026-01-30T02:00:00Z', file_size: 1234, hashes: { md5, sha256: H64, sha512 } };

  it('parses the legacy shape {hash, size, created_at} as sha256', () => {
    expect(parseJsonManifest('/m/x.manifest.json', legacy)).toEqual({ backupFile: undefined, size: 1234, digests: { sha256: H64 }, createdAt: legacy.created_at });
  });

  it('parses the full shape {backup_file, created_at, file_size, hashes}', () => {
    expect(parseJsonManifest('/m/x.manifest.json', full)).toEqual({ backupFile: 'backup.tar.gz', size: 1234, digests: { md5, sha256: H64, sha512 }, createdAt: full.created_at });
  });

  it.each([
    ['a short sha256', { ...full, hashes: { sha256: 'abc' } }, 'hashes.sha256'],
    ['a negative file_size', { ...full, file_size: -1 }, 'file_size'],
    ['a fractional size', { ...legacy, size: 1.5 }, 'size'],
    ['a string size', { ...legacy, size: '1234' }, 'size'],
    ['an empty hashes object', { ...full, hashes: {} }, 'hashes'],
    ['no digest at all', { size: 1 }, 'hashes'],
    ['size differing from file_size', { ...full, size: 99 }, 'size'],
    ['hash differing from hashes.sha256', { ...full, hash: H64b }, 'hash'],
    ['a bad created_at', { ...legacy, created_at: 'yesterday' }, 'created_at'],
    ['an array', [legacy], undefined],
  ])('rejects %s, naming the field', (_, doc, field) => {
    expectManifestError(caught(() => parseJsonManifest('/m/x.manifest.json', doc)), '/m/x.manifest.json', field);
  });

  it('renderJsonManifest output carries both shapes and parses back', () => {
    const text = renderJsonManifest({ backupFile: 'backup.tar.gz', size: 1234, digests: { sha256: H64, md5 }, createdAt: new Date('2026-01-30T02:00:00Z') });
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({ backup_file: 'backup.tar.gz', file_size: 1234, size: 1234, hash: H64, hashes: { sha256: H64, md5 }, created_at: '2026-01-30T02:00:00.000Z' });
    expect(parseJsonManifest('/m/x.manifest.json', parseJsonFile('/m/x.manifest.json', text))).toMatchObject({ backupFile: 'backup.tar.gz', size: 1234, digests: { sha256: H64, md5 } });
    const { hash, size, created_at } = doc; // an old reader of the legacy shape
    expect(parseJsonManifest('/m/x.manifest.json', { hash, size, created_at }).digests).toEqual({ sha256: H64 });
    expect(() => renderJsonManifest({ backupFile: 'b', size: 1, digests: { md5 }, createdAt: new Date() })).toThrow(/sha256/);
  });

  it('binds legacy NAME.manifest.json and STEM.manifest.json (last extension replaced) to the backup', async () => {
    const dir = await tmp();
    await writeFiles(dir, {
      'a.tar.gz': 'a', 'a.tar.gz.manifest.json': JSON.stringify(legacy),
      'backup.tar.gz': 'b', 'backup.tar.manifest.json': JSON.stringify(legacy),
    });
    const [a] = await loadManifest(join(dir, 'a.tar.gz.manifest.json'));
    expect(a).toMatchObject({ kind: 'json', file: join(dir, 'a.tar.gz'), size: 1234, digests: { sha256: H64 } });
    const [b] = await loadManifest(join(dir, 'backup.tar.manifest.json'));
    expect(b!.file).toBe(join(dir, 'backup.tar.gz'));
  });

  it('lets backup_file decide when two backups share a STEM, and refuses to guess without it', async () => {
    const dir = await tmp();
    await writeFiles(dir, {
      'backup.tar.gz': 'a', 'backup.tar.zst': 'b',
      'backup.tar.manifest.json': JSON.stringify({ ...full, backup_file: 'backup.tar.zst' }),
      'legacy/backup.tar.gz': 'a', 'legacy/backup.tar.zst': 'b', 'legacy/backup.tar.manifest.json': JSON.stringify(legacy),
    });
    const [e] = await loadManifest(join(dir, 'backup.tar.manifest.json'));
    expect(e!.file).toBe(join(dir, 'backup.tar.zst'));
    const ambiguous = join(dir, 'legacy', 'backup.tar.manifest.json');
    expectManifestError(await loadManifest(ambiguous).catch((x: unknown) => x), ambiguous, 'backup_file', /several backups/);
  });

  it('reports invalid JSON with the file and position, and forbidden keys with their path', () => {
    expectManifestError(caught(() => parseJsonFile('/m/x.manifest.json', '{\n"hash": 1,\n}')), '/m/x.manifest.json', undefined, /line 3, column 1/);
    const polluted = `{"hash":"${H64}","hashes":{"constructor":{"prototype":{"x":1}}}}`;
    expectManifestError(caught(() => parseJsonFile('/m/x.manifest.json', polluted)), '/m/x.manifest.json', 'hashes.constructor');
  });
});

describe('block maps', () => {
  // 14 bytes in blocks of 4: [0,4) [4,8) [8,12) [12,14)
  const base = () => buildBlockMap('data.img', 14, 4, H64, [hex('0'), hex('1'), hex('2'), hex('3')]);
  const F = '/m/data.img.blocks.json';

  it('parses a valid map, lowercasing digests', () => {
    const map = base();
    expect(map.blocks.map((b) => [b.offset, b.size])).toEqual([[0, 4], [4, 4], [8, 4], [12, 2]]);
    const upper = { ...map, file_hash: H64.toUpperCase() };
    expect(parseBlockMap(F, JSON.parse(JSON.stringify(upper)))).toEqual(map);
    const empty = buildBlockMap('empty.img', 0, 4, H64, []);
    expect(parseBlockMap(F, empty).total_blocks).toBe(0);
  });

  it('renderBlockMap writes the documented layout, one block per line, and parses back', () => {
    const text = renderBlockMap(base());
    expect(Object.keys(JSON.parse(text))).toEqual(['file', 'file_size', 'block_size', 'total_blocks', 'file_hash', 'blocks']);
    expect(Object.keys(JSON.parse(text).blocks[0])).toEqual(['block', 'offset', 'size', 'hash']);
    expect(text.split('\n').filter((l) => l.includes('"hash":'))).toHaveLength(4);
    expect(parseBlockMap(F, parseJsonFile(F, text))).toEqual(base());
  });

  it.each<[string, (m: any) => void, string]>([
    ['file_size as a string', (m) => (m.file_size = '14'), 'file_size'],
    ['a missing file', (m) => delete m.file, 'file'],
    ['offset as a string', (m) => (m.blocks[1].offset = '4'), 'blocks[1].offset'],
    ['blocks not an array', (m) => (m.blocks = {}), 'blocks'],
    ['a negative block_size', (m) => (m.block_size = -4), 'block_size'],
    ['a zero block_size', (m) => (m.block_size = 0), 'block_size'],
    ['a negative block size', (m) => (m.blocks[2].size = -1), 'blocks[2].size'],
    ['a fractional offset', (m) => (m.blocks[3].offset = 12.5), 'blocks[3].offset'],
    ['a short file_hash', (m) => (m.file_hash = H64.slice(1)), 'file_hash'],
    ['a 128-digit block hash', (m) => (m.blocks[0].hash = H64 + H64), 'blocks[0].hash'],
    ['a non-hex block hash', (m) => (m.blocks[1].hash = 'g'.repeat(64)), 'blocks[1].hash'],
    ['total_blocks too large', (m) => (m.total_blocks = 5), 'total_blocks'],
    ['a missing block', (m) => m.blocks.pop(), 'blocks'],
    ['a gap', (m) => (m.blocks[3].offset = 13), 'blocks[3].offset'],
    ['an overlap', (m) => (m.blocks[2].offset = 7), 'blocks[2].offset'],
    ['a repeated block number', (m) => (m.blocks[2].block = 1), 'blocks[2].block'],
    ['blocks out of order', (m) => ([m.blocks[1], m.blocks[2]] = [m.blocks[2], m.blocks[1]]), 'blocks[1].block'],
    ['a block past the end', (m) => (m.blocks[3].size = 4), 'blocks[3].size'],
    ['an offset past the end', (m) => (m.blocks[3].offset = 20), 'blocks[3].offset'],
    ['a short middle block', (m) => (m.blocks[1].size = 3), 'blocks[1].size'],
  ])('rejects %s, naming the field', (_, mutate, field) => {
    const map: BlockMap = structuredClone(base());
    mutate(map);
    expectManifestError(caught(() => parseBlockMap(F, map)), F, field);
  });

  it('refuses __proto__ anywhere, e.g. inside blocks[2], without polluting prototypes', async () => {
    const text = JSON.stringify(base()).replace('{"block":2,', '{"__proto__":{"polluted":true},"block":2,');
    expect(text).toContain('__proto__');
    expectManifestError(caught(() => parseJsonFile(F, text)), F, 'blocks[2].__proto__', /forbidden key/);
    const dir = await tmp();
    await writeFiles(dir, { 'data.img': 'x'.repeat(14), 'data.img.blocks.json': `{"__proto__":{"polluted":true},${text.slice(1)}` });
    const file = join(dir, 'data.img.blocks.json');
    expectManifestError(await loadManifest(file).catch((e: unknown) => e), file, '__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('loads a block map through loadManifest as a block-map expectation', async () => {
    const dir = await tmp();
    await writeFiles(dir, { 'data.img': 'x'.repeat(14), 'data.img.blocks.json': JSON.stringify(base()) });
    const [e] = await loadManifest(join(dir, 'data.img.blocks.json'));
    expect(e).toMatchObject({ kind: 'block-map', file: join(dir, 'data.img'), size: 14, digests: { sha256: H64 } });
    expect(e!.blockMap!.blocks).toHaveLength(4);
  });
});

describe('.integrity_results.json', () => {
  const entry = (file: string, status = 'verified') => ({ file, checked_at: '2026-01-30T02:00:00Z', size: 10, status, hash: H64 });

  it('parses a results file and allows new status words', () => {
    const doc = { last_check: '2026-01-30T02:00:00Z', results: [entry('a.tar.gz'), { ...entry('b.tar.gz', 'hash_mismatch'), expected_hash: H64b, expected_size: 10 }, entry('c.tar.gz', 'unreadable')] };
    expect(parseResultsFile('/m/r.json', doc).results.map((r) => r.status)).toEqual(['verified', 'hash_mismatch', 'unreadable']);
  });

  it.each([
    ['a status with capitals', { results: [entry('a', 'Verified')] }, 'results[0].status'],
    ['an empty status', { results: [entry('a', '')] }, 'results[0].status'],
    ['a negative size', { results: [entry('a'), { ...entry('b'), size: -1 }] }, 'results[1].size'],
    ['a string size', { results: [{ ...entry('a'), size: '10' }] }, 'results[0].size'],
    ['a short hash', { results: [{ ...entry('a'), hash: 'abc' }] }, 'results[0].hash'],
    ['a missing last_check', { last_check: undefined, results: [] }, 'last_check'],
  ])('rejects %s', (_, patch, field) => {
    const doc = { last_check: '2026-01-30T02:00:00Z', ...patch };
    expectManifestError(caught(() => parseResultsFile('/m/r.json', doc)), '/m/r.json', field);
  });

  it('updateResultsFile keeps other entries, replaces matching ones, and leaves no temp file', async () => {
    const dir = await tmp();
    expect(await readResultsFile(dir)).toBeUndefined();
    await updateResultsFile(dir, [entry('a.tar.gz'), entry('b.tar.gz')], new Date('2026-01-30T00:00:00Z'));
    const file = await updateResultsFile(dir, [entry('b.tar.gz', 'hash_mismatch'), entry('c.tar.gz', 'manifest_created')], new Date('2026-01-31T00:00:00Z'));
    expect(file).toBe(join(dir, RESULTS_FILE_NAME));
    const read = await readResultsFile(dir);
    expect(read!.last_check).toBe('2026-01-31T00:00:00.000Z');
    expect(read!.results.map((r) => [r.file, r.status])).toEqual([['a.tar.gz', 'verified'], ['b.tar.gz', 'hash_mismatch'], ['c.tar.gz', 'manifest_created']]);
    expect(await listAll(dir)).toEqual([RESULTS_FILE_NAME]);
  });

  it('updateResultsFile keeps fields other tools wrote into entries it does not replace', async () => {
    const dir = await tmp();
    const other = { ...entry('a.tar.gz'), note: 'checked by cron' };
    await writeFiles(dir, { [RESULTS_FILE_NAME]: JSON.stringify({ last_check: '2026-01-30T00:00:00Z', results: [other] }) });
    await updateResultsFile(dir, [entry('b.tar.gz')]);
    const doc = JSON.parse(await readFile(join(dir, RESULTS_FILE_NAME), 'utf8'));
    expect(doc.results[0]).toEqual(other);
  });

  it('updateResultsFile refuses to replace a malformed results file', async () => {
    const dir = await tmp();
    await writeFiles(dir, { [RESULTS_FILE_NAME]: '{"last_check": 5, "results": []}' });
    expectManifestError(await updateResultsFile(dir, [entry('a')]).catch((e: unknown) => e), join(dir, RESULTS_FILE_NAME), 'last_check');
    expect(await readFile(join(dir, RESULTS_FILE_NAME), 'utf8')).toBe('{"last_check": 5, "results": []}');
  });
});

describe('atomicWrite', () => {
  it('writes the content, refuses to overwrite without overwrite:true, replaces with it', async () => {
    const dir = await tmp();
    const file = join(dir, 'x.manifest.json');
    await atomicWrite(file, 'first\n');
    expect(await readFile(file, 'utf8')).toBe('first\n');
    const err = await atomicWrite(file, 'second\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestorableError);
    expect((err as Error).message).toMatch(/already exists/);
    expect(await readFile(file, 'utf8')).toBe('first\n');
    await atomicWrite(file, new TextEncoder().encode('third\n'), { overwrite: true });
    expect(await readFile(file, 'utf8')).toBe('third\n');
    expect(await listAll(dir)).toEqual(['x.manifest.json']);
  });

  it('fails cleanly into a folder that does not exist', async () => {
    const dir = await tmp();
    const err = await atomicWrite(join(dir, 'missing', 'x.sha256'), 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestorableError);
    expect((err as Error).message).toContain(join(dir, 'missing', 'x.sha256'));
    expect(await listAll(dir)).toEqual([]);
  });

  it('removes its temp file when the final rename fails', async () => {
    const dir = await tmp();
    await mkdir(join(dir, 'target', 'inner'), { recursive: true }); // a non-empty folder cannot be replaced by a file
    const err = await atomicWrite(join(dir, 'target'), 'x', { overwrite: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestorableError);
    expect(await listAll(dir)).toEqual(['target', join('target', 'inner')]);
  });
});

describe('discover()', () => {
  async function mixedFolder() {
    const dir = await tmp();
    await writeFiles(dir, {
      'a.tar.gz': 'a', 'b.tar.gz': 'b', 'c.img': 'c'.repeat(14), 'd.sql.gz': 'd', 'notes.txt': 'not a backup',
      'a.tar.gz.sha256': `${hex('a')}  a.tar.gz\n`,
      'SHA256SUMS': `${hex('a')}  /backups/a.tar.gz\n${hex('b')} *b.tar.gz\n`,
      'b.tar.gz.manifest.json': JSON.stringify({ hash: hex('b'), size: 1, created_at: '2026-01-30T00:00:00Z' }),
      'c.img.blocks.json': JSON.stringify(buildBlockMap('c.img', 14, 4, hex('c'.repeat(14)), [H64, H64, H64, H64])),
      'd.b3': `${H64}  -\n`,
    });
    return dir;
  }

  it('groups the expectations of a folder with mixed manifests by backup', async () => {
    const dir = await mixedFolder();
    const { targets, problems } = await discover([dir]);
    expect(problems).toEqual([]);
    const summary = Object.fromEntries(targets.map((t) => [t.file.slice(dir.length + 1), t.expectations.map((e) => `${e.manifest.slice(dir.length + 1)}:${e.kind}`).sort()]));
    expect(summary).toEqual({
      'a.tar.gz': ['SHA256SUMS:coreutils', 'a.tar.gz.sha256:coreutils'],
      'b.tar.gz': ['SHA256SUMS:coreutils', 'b.tar.gz.manifest.json:json'],
      'c.img': ['c.img.blocks.json:block-map'],
      'd.sql.gz': ['d.b3:b3sum'],
    });
  });

  it('reports a malformed manifest as a problem naming the file and field, and still finds the other backups', async () => {
    const dir = await mixedFolder();
    const bad = buildBlockMap('c.img', 14, 4, H64, [H64, H64, H64, H64]);
    bad.blocks[3]!.offset = 13;
    await writeFiles(dir, { 'c.img.blocks.json': JSON.stringify(bad), 'SHA512SUMS': `${H64}  a.tar.gz\n` });
    const { targets, problems } = await discover([dir]);
    expect(problems).toHaveLength(2);
    expect(problems[0]!.file).toBe(join(dir, 'SHA512SUMS'));
    expect(problems[0]!.message).toMatch(/SHA512SUMS: line 1: sha512 digest has 64/);
    expect(problems[1]!.file).toBe(join(dir, 'c.img.blocks.json'));
    expect(problems[1]!.message).toContain(`${join(dir, 'c.img.blocks.json')}: blocks[3].offset:`);
    expect(targets.map((t) => t.file.slice(dir.length + 1))).toEqual(['a.tar.gz', 'b.tar.gz', 'c.img', 'd.sql.gz']);
    expect(targets.find((t) => t.file.endsWith('c.img'))!.expectations).toEqual([]);
    expect(targets.find((t) => t.file.endsWith('a.tar.gz'))!.expectations).toHaveLength(2);
  });

  it('reports a deeply nested JSON manifest as a problem instead of crashing', async () => {
    const dir = await tmp();
    await writeFiles(dir, { 'a.tar.gz': 'a', 'a.tar.gz.manifest.json': `${'['.repeat(200_000)}${']'.repeat(200_000)}` });
    const result = await discover([dir]).catch((e: unknown) => e);
    expect(result).not.toBeInstanceOf(Error);
    const { targets, problems } = result as Awaited<ReturnType<typeof discover>>;
    expect(problems.map((p) => p.file)).toEqual([join(dir, 'a.tar.gz.manifest.json')]);
    expect(targets.map((t) => t.file)).toEqual([join(dir, 'a.tar.gz')]);
  });

  it('a manifest given directly yields only its listed entries (with the block map as a locator, read only if needed)', async () => {
    const dir = await mixedFolder();
    await writeFiles(dir, {
      'only-a.sha256': `${hex('a')}  a.tar.gz\n${H64b}  ../outside.tar.gz\n`,
      'a.tar.gz.blocks.json': JSON.stringify(buildBlockMap('a.tar.gz', 1, 4, hex('a'), [hex('a')])),
    });
    const { targets, problems } = await discover([join(dir, 'only-a.sha256')]);
    expect(targets.map((t) => t.file)).toEqual([join(dir, 'a.tar.gz')]);
    expect(targets[0]!.expectations.map((e) => [e.manifest, e.line])).toEqual([[join(dir, 'only-a.sha256'), 1]]);
    expect(targets[0]!.locators).toEqual([join(dir, 'a.tar.gz.blocks.json')]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/only-a\.sha256: line 2: .*outside the manifest's folder/);
  });

  it('a backup given directly collects its sidecars and the lists that name it', async () => {
    const dir = await mixedFolder();
    const { targets, problems } = await discover([join(dir, 'a.tar.gz')]);
    expect(problems).toEqual([]);
    expect(targets).toHaveLength(1);
    expect(targets[0]!.expectations.map((e) => e.manifest.slice(dir.length + 1)).sort()).toEqual(['SHA256SUMS', 'a.tar.gz.sha256']);
  });
});
