import { mkdir, open, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { RestorableError, fsError, isFsError } from '../errors.js';
import { streamDigest } from '../hash/stream-digest.js';
import type { WorkerPool } from '../hash/pool.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import { checksumLine } from '../manifest/checksum-file.js';
import { buildBlockMap, renderBlockMap, renderJsonManifest } from '../manifest/writers.js';
import { appMembers, writeSqlDumpGz, writeTarGz } from './content.js';

/** Small blocks so the demo's block maps have enough cells to look at. */
export const DEMO_BLOCK_SIZE = 64 * 1024;
const MARKER = '.restorable-demo';

export type DemoRole = 'healthy' | 'corrupted' | 'truncated' | 'no-manifest' | 'dump';

export interface DemoBackup {
  file: string;
  role: DemoRole;
  /** what was planted, in words */
  note: string;
  /** for the corrupted backup: the byte ranges that were flipped */
  flipped?: { offset: number; length: number }[];
  /** for the truncated backup: sizes before and after */
  truncatedFrom?: number;
  truncatedTo?: number;
}

export interface DemoSet {
  dir: string;
  blockSize: number;
  backups: DemoBackup[];
}

const DAY = 24 * 3600 * 1000;

function stamp(d: Date): string {
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}

/**
 * Writes the demo backup set: application backups and a database dump with
 * their manifests in several formats, then plants the damage a real storage
 * host sees: flipped bytes in two places, a truncated copy, and a backup
 * nobody wrote a manifest for. Refuses to write into a folder it did not make.
 */
export async function writeDemoSet(dirInput: string, pool: WorkerPool, now = new Date()): Promise<DemoSet> {
  const dir = resolve(dirInput);
  await prepareFolder(dir);
  const day = (n: number) => {
    const d = new Date(now.getTime() - n * DAY);
    d.setUTCHours(2, 0, 0, 0);
    return d;
  };
  const fixedMtime = new Date(Date.UTC(2026, 0, 1));
  const backups: DemoBackup[] = [];
  const sums: string[] = [];

  const plan: { name: string; when: Date; role: DemoRole; sidecars: ('json' | 'legacy-json' | 'sha256' | 'b3' | 'sums' | 'blocks' | 'contents')[] }[] = [
    { name: `app-${stamp(day(1))}.tar.gz`, when: day(1), role: 'healthy', sidecars: ['json', 'blocks', 'sha256', 'contents'] },
    { name: `db-${stamp(day(1))}.sql.gz`, when: day(1), role: 'dump', sidecars: ['sums', 'blocks'] },
    { name: `app-${stamp(day(2))}.tar.gz`, when: day(2), role: 'corrupted', sidecars: ['json', 'blocks', 'contents'] },
    { name: `app-${stamp(day(3))}.tar.gz`, when: day(3), role: 'truncated', sidecars: ['json', 'blocks', 'contents'] },
    { name: `app-${stamp(day(4))}.tar.gz`, when: day(4), role: 'healthy', sidecars: ['legacy-json', 'b3', 'blocks'] },
    { name: `app-${stamp(day(5))}.tar.gz`, when: day(5), role: 'no-manifest', sidecars: [] },
  ];

  for (const [i, item] of plan.entries()) {
    const file = join(dir, item.name);
    if (item.role === 'dump') await writeSqlDumpGz(file, `demo/db/${i}`, item.when);
    else await writeTarGz(file, appMembers(`demo/app/${i}`), fixedMtime);
    if (item.sidecars.length > 0) {
      const d = await streamDigest(pool, file, { algorithms: ['sha256', 'md5', 'sha512', 'blake3'], blockSize: DEMO_BLOCK_SIZE });
      const digests = d.digests;
      for (const kind of item.sidecars) {
        if (kind === 'json') {
          await atomicWrite(`${file}.manifest.json`, renderJsonManifest({ backupFile: item.name, size: d.bytes, digests: { md5: digests.md5, sha256: digests.sha256, sha512: digests.sha512 }, createdAt: item.when }));
        } else if (kind === 'legacy-json') {
          await atomicWrite(`${file}.manifest.json`, `${JSON.stringify({ hash: digests.sha256, size: d.bytes, created_at: item.when.toISOString() }, null, 2)}\n`);
        } else if (kind === 'sha256') {
          // As `sha256sum /backups/NAME > STEM.sha256` writes it: absolute path, whole extension replaced.
          await atomicWrite(join(dir, `${item.name.replace(/\.tar\.gz$/, '')}.sha256`), checksumLine(digests.sha256!, `/backups/${item.name}`));
        } else if (kind === 'b3') {
          await atomicWrite(`${file}.b3`, checksumLine(digests.blake3!, item.name));
        } else if (kind === 'sums') {
          sums.push(checksumLine(digests.sha256!, item.name));
        } else if (kind === 'contents') {
          const { buildContentIndex } = await import('../archive/contents.js');
          await atomicWrite(`${file}.contents.json`, `${JSON.stringify(await buildContentIndex(file), null, 1)}\n`);
        } else {
          const map = buildBlockMap(item.name, d.bytes, DEMO_BLOCK_SIZE, digests.sha256!, d.blockDigests ?? []);
          await atomicWrite(`${file}.blocks.json`, renderBlockMap(map));
        }
      }
    }
    const backup: DemoBackup = { file, role: item.role, note: '' };
    if (item.role === 'corrupted') {
      backup.flipped = await flipBytes(file, [
        { offset: 5 * DEMO_BLOCK_SIZE + 1000, length: 16 },
        // straddles the boundary of blocks 19 and 20
        { offset: 20 * DEMO_BLOCK_SIZE - 8, length: 16 },
      ]);
      backup.note = 'bytes flipped in two places (blocks 5 and 19-20)';
    } else if (item.role === 'truncated') {
      const size = (await stat(file)).size;
      backup.truncatedFrom = size;
      backup.truncatedTo = Math.floor(size * 0.6);
      await truncate(file, backup.truncatedTo);
      backup.note = `truncated from ${size} to ${backup.truncatedTo} bytes, as an interrupted upload leaves it`;
    } else if (item.role === 'no-manifest') backup.note = 'no manifest was ever written for it';
    else if (item.role === 'dump') backup.note = 'a healthy mysqldump, listed in SHA256SUMS';
    else backup.note = 'healthy';
    backups.push(backup);
  }
  await atomicWrite(join(dir, 'SHA256SUMS'), sums.join(''));
  for (const item of plan) await utimes(join(dir, item.name), item.when, item.when);
  return { dir, blockSize: DEMO_BLOCK_SIZE, backups };
}

/** Makes `dir` empty, but only if it is new, empty, or an earlier demo set. */
async function prepareFolder(dir: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if (!isFsError(err, 'ENOENT')) throw fsError(err, dir);
  }
  if (entries.length > 0 && !entries.includes(MARKER)) {
    throw new RestorableError(`${dir}: exists and is not a demo set; choose another folder for the demo`);
  }
  await rm(dir, { recursive: true, force: true });
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, MARKER), `demo backup set written by restorable; safe to delete\n`);
  } catch (err) {
    throw fsError(err, dir);
  }
}

/** Inverts every byte in each range (so the change is certain), returning the ranges. */
async function flipBytes(file: string, ranges: { offset: number; length: number }[]): Promise<{ offset: number; length: number }[]> {
  const h = await open(file, 'r+');
  try {
    for (const r of ranges) {
      const buf = Buffer.alloc(r.length);
      await h.read(buf, 0, r.length, r.offset);
      for (let i = 0; i < buf.length; i++) buf[i] = buf[i]! ^ 0xff;
      await h.write(buf, 0, r.length, r.offset);
    }
  } finally {
    await h.close();
  }
  return ranges;
}

export function describeDemo(set: DemoSet): string {
  return set.backups.map((b) => `  ${basename(b.file).padEnd(26)} ${b.role.padEnd(12)} ${b.note}`).join('\n');
}
