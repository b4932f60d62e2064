#!/usr/bin/env node
// Inspector benchmarks (part of `npm run bench`), in a real terminal (tmux,
// 80x24), whole process, medians of several runs:
//   1. first frame over a folder of 5,000 backups: target under 1 s;
//   2. verifying a 1 GiB backup from the inspector (press v, wait for the
//      result on screen) against `restorable verify` in a plain shell:
//      target within 10%, i.e. drawing never slows hashing down.
//
//   node bench/inspector.mjs [--runs 5] [--size 1GiB] [--count 5000] [--dir .bench]
//
// The 1 GiB backup is the test file run.mjs uses (lib/data-file.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataFileName, ensureDataFile } from './lib/data-file.mjs';
import { runCleanups } from './lib/interrupt.mjs';
import { CLI, DEFAULT_DIR } from './lib/paths.mjs';
import { parseSize, sizeLabel } from './lib/sizes.mjs';
import { median, medianOf } from './lib/timing.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const runs = Number(opt('runs', '5'));
const count = Number(opt('count', '5000'));
const dir = resolve(opt('dir', DEFAULT_DIR));
const SOCKET = `restorable-bench-${process.pid}`;

const tmux = (...a) => spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...a], { encoding: 'utf8' });
const capture = () => tmux('capture-pane', '-p', '-t', 'b').stdout ?? '';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(test, ms = 30_000) {
  const until = performance.now() + ms;
  for (;;) {
    const screen = capture();
    if (test(screen)) return performance.now();
    if (performance.now() > until) throw new Error(`timed out; screen:\n${screen}`);
    await sleep(5);
  }
}

function startInTmux(command) {
  tmux('kill-server');
  const r = tmux('new-session', '-d', '-s', 'b', '-x', '80', '-y', '24', `${command}; sleep 600`);
  if (r.status !== 0) throw new Error(`tmux failed: ${r.stderr}`);
}

function makeManyBackups(folder, n) {
  if (existsSync(join(folder, '.complete'))) return;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  let sums = '';
  for (let i = 0; i < n; i++) {
    const name = `host-${String(i % 50).padStart(2, '0')}-${String(i).padStart(5, '0')}.tar.gz`;
    const data = Buffer.from(`backup ${i}\n`);
    writeFileSync(join(folder, name), data);
    if (i % 2 === 0) writeFileSync(join(folder, `${name}.sha256`), `${createHash('sha256').update(data).digest('hex')}  ${name}\n`);
    else sums += `${createHash('sha256').update(data).digest('hex')}  ${name}\n`;
  }
  writeFileSync(join(folder, 'SHA256SUMS'), sums);
  writeFileSync(join(folder, '.complete'), '');
}

/** An empty FOLDER (emptied if it was there). */
function freshFolder(folder) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
}

/** Writes FOLDER/NAME.sha256 with sha256sum. */
function writeChecksum(folder, name) {
  writeFileSync(join(folder, `${name}.sha256`), execFileSync('sha256sum', [name], { cwd: folder, encoding: 'utf8' }));
}

function firstFrame(folder) {
  return medianOf(runs, async () => {
    const t0 = performance.now();
    startInTmux(`node ${CLI} ${folder}`);
    const t1 = await waitFor((s) => new RegExp(`of ${count} shown`).test(s));
    tmux('kill-server');
    return (t1 - t0) / 1000;
  });
}

/**
 * Verifies from the inspector's detail screen (enter, then v) and reads the
 * check's own duration from the verify screen ("✓ verified (1 GiB in 0.74 s,
 * …)"): the time hashing took while the inspector was drawing.
 */
async function verifyInInspector(folder) {
  const wall = [];
  const check = await medianOf(runs, async () => {
    startInTmux(`node ${CLI} ${folder}`);
    await waitFor((s) => /1 of 1 shown/.test(s));
    tmux('send-keys', '-t', 'b', 'Enter');
    await waitFor((s) => /Manifests/.test(s) && !/reading…/.test(s));
    const t0 = performance.now();
    tmux('send-keys', '-t', 'b', 'v');
    let seconds;
    const t1 = await waitFor((s) => {
      const m = /✓ verified \(.* in ([\d.]+) s/.exec(s);
      if (m) seconds = Number(m[1]);
      return m !== null;
    });
    tmux('kill-server');
    wall.push((t1 - t0) / 1000);
    return seconds;
  });
  return { check, wall: median(wall) };
}

/** The same check from the command line: its own duration, from --json. */
function verifyInShell(folder) {
  return medianOf(runs, () => {
    const r = spawnSync(process.execPath, [CLI, 'verify', folder, '--json'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`restorable verify ${folder} exited ${r.status}`);
    return JSON.parse(r.stdout).results[0].durationMs / 1000;
  });
}

async function main() {
  const size = parseSize(opt('size', '1GiB'));
  const sizeText = sizeLabel(size);
  if (spawnSync('tmux', ['-V']).status !== 0) {
    console.log('inspector benchmarks skipped: tmux is not installed');
    return;
  }
  process.on('exit', () => tmux('kill-server'));
  const many = join(dir, `inspector-${count}-backups`);
  makeManyBackups(many, count);
  const bigDir = join(dir, 'inspector-one-backup');
  const big = join(dir, dataFileName(size));
  await ensureDataFile(big, size);
  freshFolder(bigDir);
  linkSync(big, join(bigDir, 'backup.img'));
  writeChecksum(bigDir, 'backup.img');

  console.log(`inspector, in tmux at 80x24, median of ${runs}:`);
  const frame = await firstFrame(many);
  console.log(`  first frame over ${count} backups          ${frame.toFixed(3)} s   target < 1 s   ${frame < 1 ? 'PASS' : 'FAIL'}`);
  await verifyInShell(bigDir); // warm the page cache
  const shell = await verifyInShell(bigDir);
  const inspector = await verifyInInspector(bigDir);
  const ratio = inspector.check / shell;
  console.log(`  verify ${sizeText} from the command line (the check's time)  ${shell.toFixed(3)} s`);
  console.log(`  the same check with the inspector drawing      ${inspector.check.toFixed(3)} s`);
  console.log(`  inspector / command line                       ${ratio.toFixed(2)}    target ≤ 1.10  ${ratio <= 1.1 ? 'PASS' : 'FAIL'}`);
  console.log(`  (key press to ✓ on screen: ${inspector.wall.toFixed(3)} s)`);
  if (args.includes('--markdown')) {
    console.log(`\n| inspector measurement | median s | ratio | target | result |\n|---|---:|---:|---|---|`);
    console.log(`| first frame, ${count} backups | ${frame.toFixed(3)} | | < 1 s | ${frame < 1 ? 'pass' : '**missed**'} |`);
    console.log(`| verify ${sizeText} from the command line (the check's own time) | ${shell.toFixed(3)} | | | |`);
    console.log(`| the same check in the inspector, while it draws | ${inspector.check.toFixed(3)} | ${ratio.toFixed(2)} | ≤ 1.10 | ${ratio <= 1.1 ? 'pass' : '**missed**'} |`);
    console.log(`| key press to ✓ on screen, in the inspector | ${inspector.wall.toFixed(3)} | | | |`);
  }
  rmSync(bigDir, { recursive: true, force: true });
}

main()
  .catch((err) => {
    console.error(`inspector benchmark failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(runCleanups);
