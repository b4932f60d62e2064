#!/usr/bin/env node
// Salvage benchmarks (part of `npm run bench`), on the deep check's generated
// tar.gz (10,000 files, ~500 MB uncompressed), whole processes, rounds
// interleaved, medians:
// - `restorable salvage` of the healthy archive against `tar -xzf` into an
//   empty folder (target ≤ 1.5x), without and with a content index;
// - `manifest --contents` (the content index with its restart points)
//   against the same index without them (target ≤ 1.3x: what restart points
//   add to making the index), and that against `manifest` alone; and the
//   index's size as a share of the archive.
//
//   node bench/salvage.mjs [--runs 3] [--dir .bench] [--files 10000] [--markdown]
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { makeArchive } from './lib/archive.mjs';
import { CLI, DEFAULT_DIR } from './lib/paths.mjs';
import { median, timeRounds } from './lib/timing.mjs';
import { flag, option } from './lib/options.mjs';

const runs = Number(option('runs', '3'));
const files = Number(option('files', '10000'));
const dir = option('dir', DEFAULT_DIR);
const TARGETS = { 'restorable salvage': 1.5, 'restorable salvage, with a content index': 1.5, 'restorable manifest --contents': 1.3 };

mkdirSync(dir, { recursive: true });
const archive = join(dir, `deep-${files}-files.tar.gz`);
makeArchive(archive, files, dir);
// The same bytes under another name, with a fresh content index (restart points included).
const indexed = join(dir, `salvage-${files}-files-indexed.tar.gz`);
rmSync(indexed, { force: true });
linkSync(archive, indexed);
const made = spawnSync(process.execPath, [CLI, 'manifest', indexed, '--contents', '--force'], { encoding: 'utf8' });
// And a third name for the index made without restart points, so that none lies beside the plain archive.
const pointless = join(dir, `salvage-${files}-files-no-points.tar.gz`);
rmSync(pointless, { force: true });
linkSync(archive, pointless);
if (made.status !== 0) throw new Error(`manifest --contents failed: ${made.stderr}`);
// Extractions write into memory (/dev/shm) when it has room: on a shared disk, write-back noise
// swamps the decoding this compares (tar -xzf took 6 s in one run and 11 s in the next).
const inMemory = existsSync('/dev/shm') && statfsSync('/dev/shm').bavail * statfsSync('/dev/shm').bsize > 4 * 1024 ** 3;
const scratch = inMemory ? mkdtempSync('/dev/shm/restorable-salvage-bench-') : join(dir, 'salvage-scratch');
// Each extraction has its own folder and removes only what it wrote itself the round before,
// so each pays the same removal (removing another's 500 MB would tilt the ratios).
const into = (name) => join(scratch, name);
const fresh = (name) => `rm -rf "${into(name)}" && mkdir -p "${into(name)}"`;
const node = (argv, name) => ['sh', '-c', `${name ? `${fresh(name)} && rmdir "${into(name)}" && ` : ''}"${process.execPath}" "${CLI}" ${argv.map((a) => `"${a}"`).join(' ')}`];
const times = timeRounds(
  {
    'tar -xzf': ['sh', '-c', `${fresh('tar')} && tar -xzf "${archive}" -C "${into('tar')}"`],
    'restorable salvage': node(['salvage', archive, '--out', into('salvage')], 'salvage'),
    'restorable salvage, with a content index': node(['salvage', indexed, '--out', into('indexed')], 'indexed'),
    'restorable manifest': node(['manifest', archive, '--force']),
    'restorable manifest --contents --no-restart-points': node(['manifest', pointless, '--contents', '--no-restart-points', '--force']),
    'restorable manifest --contents': node(['manifest', indexed, '--contents', '--force']),
  },
  runs,
);
rmSync(scratch, { recursive: true, force: true });
const size = statSync(archive).size;
const index = JSON.parse(readFileSync(`${indexed}.contents.json`, 'utf8'));
const windows = (index.restart_points ?? []).reduce((n, p) => n + (p.window?.length ?? 0), 0);
const indexBytes = statSync(`${indexed}.contents.json`).size;
const rows = [];
const row = (name, base) => {
  const m = median(times[name]);
  const ratio = base ? m / median(times[base]) : undefined;
  const target = TARGETS[name];
  rows.push({ name, m, ratio, target, verdict: target === undefined ? '' : ratio <= target ? 'PASS' : 'FAIL' });
};
row('tar -xzf');
row('restorable salvage', 'tar -xzf');
row('restorable salvage, with a content index', 'tar -xzf');
row('restorable manifest');
row('restorable manifest --contents --no-restart-points', 'restorable manifest');
row('restorable manifest --contents', 'restorable manifest --contents --no-restart-points');
console.log(`salvage and content index, ${files} files (${(size / 1e6).toFixed(0)} MB compressed), extracted into ${inMemory ? 'memory (/dev/shm)' : dir}, median of ${runs}:`);
for (const r of rows) console.log(`  ${r.name.padEnd(56)} ${r.m.toFixed(3)} s${r.ratio === undefined ? '' : `   ${r.ratio.toFixed(2)}x${r.target ? `   target ≤ ${r.target}   ${r.verdict}` : ''}`}`);
console.log(`  restart points: ${index.restart_points?.length ?? 0}, their windows ${(100 * windows / size).toFixed(2)}% of the archive; the whole index ${(100 * indexBytes / size).toFixed(2)}%`);
if (flag('markdown')) {
  console.log(`\n| salvage measurement | median s | ratio | target | result |\n|---|---:|---:|---|---|`);
  for (const r of rows) console.log(`| \`${r.name}\` | ${r.m.toFixed(3)} | ${r.ratio === undefined ? '' : r.ratio.toFixed(2)} | ${r.target ? `≤ ${r.target}` : ''} | ${r.verdict ? (r.verdict === 'PASS' ? 'pass' : '**missed**') : ''} |`);
}
process.exit(rows.some((r) => r.verdict === 'FAIL') ? 1 : 0);
