#!/usr/bin/env node
// `restorable compare` benchmark (part of `npm run bench`): two 512 MiB copies,
// one with a damaged MiB, whole processes, rounds interleaved, medians:
// - `restorable compare A HOST:B` against `sha256sum` of each copy at once (what
//   a user does by hand on two machines, and the least that says whether they
//   differ; it says nothing of where);
// - what crossed from the far copy, as a share of its size (target < 10%).
// The far copy is reached through a stand-in for ssh (a shell that runs the
// command here), so what is timed is restorable's own work on both ends.
//
//   node bench/compare.mjs [--runs 3] [--dir .bench] [--markdown]
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataFileName, ensureDataFile } from './lib/data-file.mjs';
import { CLI, DEFAULT_DIR } from './lib/paths.mjs';
import { MiB } from './lib/sizes.mjs';
import { median, timeRounds } from './lib/timing.mjs';
import { flag, option } from './lib/options.mjs';

const runs = Number(option('runs', '3'));
const dir = option('dir', DEFAULT_DIR);
const SIZE = 512 * MiB;
const CROSSED_TARGET = 0.1;

mkdirSync(dir, { recursive: true });
const a = join(dir, dataFileName(SIZE));
await ensureDataFile(a, SIZE);
const b = join(dir, 'compare-damaged.bin');
copyFileSync(a, b);
const fd = openSync(b, 'r+');
writeSync(fd, Buffer.alloc(MiB, 0x5a), 0, MiB, 300 * MiB + 4321);
closeSync(fd);
const rsh = join(dir, 'compare-rsh');
writeFileSync(rsh, '#!/bin/sh\n# a stand-in for ssh: drop the host, run the command here\nshift\nexec sh -c "$*"\n');
chmodSync(rsh, 0o755);
const compare = [process.execPath, CLI, 'compare', a, `localhost:${b}`, '--rsh', rsh, '--remote-command', `${process.execPath} ${CLI}`];
// compare exits 1: the copies differ, as they should.
const differs = (argv) => ['sh', '-c', `${argv.map((x) => `'${x}'`).join(' ')} >/dev/null; test $? -eq 1`];
const times = timeRounds(
  {
    'sha256sum of each copy, both at once': ['sh', '-c', `sha256sum "${a}" & sha256sum "${b}" & wait`],
    'restorable compare A HOST:B': differs(compare),
  },
  runs,
);
const json = JSON.parse(spawnSync(compare[0], [...compare.slice(1), '--json'], { encoding: 'utf8' }).stdout);
const far = json.copies[1];
const base = median(times['sha256sum of each copy, both at once']);
const m = median(times['restorable compare A HOST:B']);
const crossed = far.moved / far.size;
const region = json.regions[0];
console.log(`compare, two ${SIZE / MiB} MiB copies, one damaged MiB, median of ${runs}:`);
console.log(`  sha256sum of each copy, both at once     ${base.toFixed(3)} s`);
console.log(`  restorable compare A HOST:B              ${m.toFixed(3)} s   ${(m / base).toFixed(2)}x`);
console.log(`  located: bytes ${region.offset}–${region.offset + region.length - 1}; crossed from the far copy: ${far.moved} bytes, ${(100 * crossed).toFixed(2)}% (target < ${100 * CROSSED_TARGET}%)   ${crossed < CROSSED_TARGET ? 'PASS' : 'FAIL'}`);
if (flag('markdown')) {
  console.log(`\n| compare measurement | median s | ratio | crossed | target | result |\n|---|---:|---:|---:|---|---|`);
  console.log(`| \`sha256sum\` of each copy, both at once | ${base.toFixed(3)} |  |  |  |  |`);
  console.log(`| \`restorable compare A HOST:B\` | ${m.toFixed(3)} | ${(m / base).toFixed(2)} | ${(100 * crossed).toFixed(2)}% | < ${100 * CROSSED_TARGET}% | ${crossed < CROSSED_TARGET ? 'pass' : '**missed**'} |`);
}
process.exit(crossed < CROSSED_TARGET ? 0 : 1);
