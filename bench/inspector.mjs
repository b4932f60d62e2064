#!/usr/bin/env node
// Inspector benchmarks (part of `npm run bench`), in a real terminal (tmux,
// 80x24), whole process, medians of several runs:
//   1. first frame over a folder of 5,000 backups: target under 1 s;
//   2. verifying a 1 GiB backup from the inspector (press v, wait for the
//      result on screen) against `restorable verify` in a plain shell:
//      target within 10%, i.e. drawing never slows hashing down;
//   3. V over the 5,000 small backups (key press to every row ✓) against
//      `restorable verify DIR` as a whole process: target ≤ 1.5x; and how
//      long a key takes to move the selection while V runs: target < 150 ms.
// Each inspector starts with a ledger of its own, empty (XDG_STATE_HOME).
//
//   node bench/inspector.mjs [--runs 5] [--size 1GiB] [--count 5000] [--dir .bench]
//                            [--only first-frame|verify|verify-all]
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
import { flag, option } from './lib/options.mjs';

const runs = Number(option('runs', '5'));
const count = Number(option('count', '5000'));
const only = option('only');
const measures = (name) => only === undefined || only === name;
const dir = resolve(option('dir', DEFAULT_DIR));
const SOCKET = `restorable-bench-${process.pid}`;

const tmux = (...a) => spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...a], { encoding: 'utf8' });
const capture = () => tmux('capture-pane', '-p', '-t', 'b').stdout ?? '';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the screen until `test` passes. Each poll starts a tmux client: every
 * 5 ms that is most of a core on a 2-core machine, taken from the process
 * measured. So waits of seconds poll every `every` ms (an error of at most
 * that), and only key latencies, a few presses, poll every 5 ms.
 */
async function waitFor(test, { ms = 30_000, every = 5 } = {}) {
  const until = performance.now() + ms;
  for (;;) {
    const screen = capture();
    if (test(screen)) return performance.now();
    if (performance.now() > until) throw new Error(`timed out; screen:\n${screen}`);
    await sleep(every);
  }
}

function startInTmux(command) {
  tmux('kill-server');
  const state = join(dir, `inspector-state-${process.pid}`);
  rmSync(state, { recursive: true, force: true });
  const r = tmux('new-session', '-d', '-s', 'b', '-x', '80', '-y', '24', `XDG_STATE_HOME=${state} ${command}; sleep 600`);
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
    const t1 = await waitFor((s) => new RegExp(`of ${count} shown`).test(s), { every: 10 });
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
    }, { every: 20 });
    tmux('kill-server');
    wall.push((t1 - t0) / 1000);
    return seconds;
  });
  return { check, wall: median(wall) };
}

/** The row the selection is on (`›`), by its backup's number. */
const selectedRow = (screen) => /^› .*host-\d\d-(\d{5})/m.exec(screen)?.[1];

/**
 * V over every backup: key press to every row verified on screen; and,
 * while it runs, how long `j` takes to move the selection: a press every
 * 300 ms from V to the end (as someone scrolling while it works), each
 * timed from send-keys to the frame that shows it.
 */
async function verifyAllInInspector(folder) {
  const latencies = [];
  const seconds = await medianOf(runs, async () => {
    startInTmux(`node ${CLI} ${folder}`);
    await waitFor((s) => new RegExp(`of ${count} shown`).test(s), { every: 10 });
    const t0 = performance.now();
    tmux('send-keys', '-t', 'b', 'V');
    const all = new RegExp(`✓ ${count} ok`);
    let t1;
    for (;;) {
      const before = selectedRow(capture());
      const k0 = performance.now();
      tmux('send-keys', '-t', 'b', 'j');
      const k1 = await waitFor((s) => selectedRow(s) !== before || all.test(s));
      if (all.test(capture())) {
        t1 = k1;
        break;
      }
      latencies.push(k1 - k0);
      const next = k0 + 300;
      while (performance.now() < next) {
        if (all.test(capture())) break;
        await sleep(50);
      }
      if (all.test(capture())) {
        t1 = performance.now();
        break;
      }
    }
    tmux('kill-server');
    return (t1 - t0) / 1000;
  });
  const sorted = [...latencies].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))];
  return { seconds, latencyMs: latencies.length ? median(latencies) : undefined, p90, presses: latencies.length };
}

/** `restorable verify DIR`, the whole process, wall clock. */
function verifyFolderInShell(folder) {
  return medianOf(runs, () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'verify', folder], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`restorable verify ${folder} exited ${r.status}: ${r.stderr}`);
    return (performance.now() - t0) / 1000;
  });
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
  const size = parseSize(option('size', '1GiB'));
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
  const md = [];
  if (measures('first-frame')) {
    const frame = await firstFrame(many);
    console.log(`  first frame over ${count} backups          ${frame.toFixed(3)} s   target < 1 s   ${frame < 1 ? 'PASS' : 'FAIL'}`);
    md.push(`| first frame, ${count} backups | ${frame.toFixed(3)} | | < 1 s | ${frame < 1 ? 'pass' : '**missed**'} |`);
  }
  if (measures('verify')) {
    await verifyInShell(bigDir); // warm the page cache
    const shell = await verifyInShell(bigDir);
    const inspector = await verifyInInspector(bigDir);
    const ratio = inspector.check / shell;
    console.log(`  verify ${sizeText} from the command line (the check's time)  ${shell.toFixed(3)} s`);
    console.log(`  the same check with the inspector drawing      ${inspector.check.toFixed(3)} s`);
    console.log(`  inspector / command line                       ${ratio.toFixed(2)}    target ≤ 1.10  ${ratio <= 1.1 ? 'PASS' : 'FAIL'}`);
    console.log(`  (key press to ✓ on screen: ${inspector.wall.toFixed(3)} s)`);
    md.push(`| verify ${sizeText} from the command line (the check's own time) | ${shell.toFixed(3)} | | | |`);
    md.push(`| the same check in the inspector, while it draws | ${inspector.check.toFixed(3)} | ${ratio.toFixed(2)} | ≤ 1.10 | ${ratio <= 1.1 ? 'pass' : '**missed**'} |`);
    md.push(`| key press to ✓ on screen, in the inspector | ${inspector.wall.toFixed(3)} | | | |`);
  }
  if (measures('verify-all')) {
    verifyFolderInShell(many); // warm the page cache
    const folderShell = await verifyFolderInShell(many);
    const all = await verifyAllInInspector(many);
    const allRatio = all.seconds / folderShell;
    const latency = all.latencyMs;
    console.log(`  restorable verify DIR over ${count} backups, whole process   ${folderShell.toFixed(3)} s`);
    console.log(`  V over them in the inspector, key to every row ✓  ${all.seconds.toFixed(3)} s`);
    console.log(`  V / verify DIR                                 ${allRatio.toFixed(2)}    target ≤ 1.50  ${allRatio <= 1.5 ? 'PASS' : 'FAIL'}`);
    console.log(`  a key while V runs, to the frame that shows it ${latency === undefined ? '(V ended first)' : `${latency.toFixed(0)} ms   target < 150 ms  ${latency < 150 ? 'PASS' : 'FAIL'}   (median of ${all.presses} presses; 90th percentile ${all.p90.toFixed(0)} ms)`}`);
    md.push(`| restorable verify DIR, ${count} backups, whole process | ${folderShell.toFixed(3)} | | | |`);
    md.push(`| V over them in the inspector, key to every row ✓ | ${all.seconds.toFixed(3)} | ${allRatio.toFixed(2)} | ≤ 1.50 | ${allRatio <= 1.5 ? 'pass' : '**missed**'} |`);
    if (latency !== undefined) md.push(`| a key while V runs, to the frame that shows it (median of ${all.presses} presses, one every 300 ms; 90th percentile ${(all.p90 / 1000).toFixed(3)} s) | ${(latency / 1000).toFixed(3)} | | < 0.150 s | ${latency < 150 ? 'pass' : '**missed**'} |`);
  }
  if (flag('markdown')) console.log(`\n| inspector measurement | median s | ratio | target | result |\n|---|---:|---:|---|---|\n${md.join('\n')}`);
  rmSync(bigDir, { recursive: true, force: true });
}

main()
  .catch((err) => {
    console.error(`inspector benchmark failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(runCleanups);
