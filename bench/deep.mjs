#!/usr/bin/env node
// Deep check and restore test benchmarks (part of `npm run bench`): a tar.gz
// of 10,000 generated files (~500 MB uncompressed), `restorable deep` and
// `restorable restore-test` against `tar -xzf` plus `find` over the result,
// whole processes, rounds interleaved, medians. Targets: deep at most 0.8x
// (it reads and judges; links and devices are recorded, not made), the
// restore test at most 1.2x. The same archive with a content index (every
// file's sha256 checked on the way) is measured beside them.
//
//   node bench/deep.mjs [--runs 5] [--dir .bench] [--files 10000] [--markdown]
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, DEFAULT_DIR } from './lib/paths.mjs';
import { makeArchive } from './lib/archive.mjs';
import { median, timeRounds } from './lib/timing.mjs';
import { flag, option } from './lib/options.mjs';

const runs = Number(option('runs', '5'));
const files = Number(option('files', '10000'));
const dir = option('dir', DEFAULT_DIR);
/** The most each may take, as a multiple of tar -xzf + find. */
const TARGETS = { 'restorable deep': 0.8, 'restorable restore-test': 1.2 };

function main() {
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, `deep-${files}-files.tar.gz`);
  makeArchive(archive, files, dir);
  // The same bytes under a second name, with a content index beside it.
  const indexed = join(dir, `deep-${files}-files-indexed.tar.gz`);
  if (!existsSync(`${indexed}.contents.json`)) {
    rmSync(indexed, { force: true });
    linkSync(archive, indexed);
    const made = spawnSync(process.execPath, [CLI, 'manifest', indexed, '--contents', '--force'], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`manifest --contents failed: ${made.stderr}`);
  }
  const scratch = join(dir, 'deep-scratch');
  const commands = {
    'tar -xzf + find': ['sh', '-c', `rm -rf "${scratch}" && mkdir "${scratch}" && tar -xzf "${archive}" -C "${scratch}" && find "${scratch}" | wc -l >/dev/null`],
    'restorable deep': [process.execPath, CLI, 'deep', archive, '--temp-dir', dir],
    'restorable restore-test': [process.execPath, CLI, 'restore-test', archive, '--temp-dir', dir],
    'restorable deep, with a content index': [process.execPath, CLI, 'deep', indexed, '--temp-dir', dir],
    'restorable restore-test, with a content index': [process.execPath, CLI, 'restore-test', indexed, '--temp-dir', dir],
  };
  const times = timeRounds(commands, runs);
  rmSync(scratch, { recursive: true, force: true });
  const base = median(times['tar -xzf + find']);
  console.log(`deep check and restore test, ${files} files, median of ${runs}:`);
  const rows = [];
  for (const [name, list] of Object.entries(times)) {
    const m = median(list);
    const ratio = m / base;
    const target = TARGETS[name];
    const verdict = target === undefined ? '' : ratio <= target ? 'PASS' : 'FAIL';
    rows.push({ name, m, ratio, verdict, target });
    console.log(`  ${name.padEnd(46)} ${m.toFixed(3)} s${name.startsWith('tar') ? '' : `   ${ratio.toFixed(2)}x${target ? `   target ≤ ${target}   ${verdict}` : ''}`}`);
  }
  if (flag('markdown')) {
    console.log(`\n| deep / restore measurement | median s | ratio | target | result |\n|---|---:|---:|---|---|`);
    for (const r of rows) console.log(`| \`${r.name}\` | ${r.m.toFixed(3)} | ${r.name.startsWith('tar') ? '' : r.ratio.toFixed(2)} | ${r.target ? `≤ ${r.target}` : ''} | ${r.verdict ? (r.verdict === 'PASS' ? 'pass' : '**missed**') : ''} |`);
  }
}

main();
