// Peak memory (f): the peak RSS of `restorable manifest` and `restorable
// verify` over a large file, by /usr/bin/time -f %M or by polling /proc.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ensureDataFile } from './data-file.mjs';
import { checkInterrupted, cleanups, markInterrupted } from './interrupt.mjs';
import { CLI, NODE } from './paths.mjs';
import { KiB, MiB, human, sizeLabel } from './sizes.mjs';
import { log, tail } from './text.mjs';
import { stopwatch } from './timing.mjs';

const MEMORY_TARGET_BYTES = 150e6; // "< 150 MB", decimal megabytes

function timeWorks() {
  if (!existsSync('/usr/bin/time')) return false;
  const out = join(tmpdir(), `restorable-bench-time-${process.pid}.txt`);
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, 'true'], { stdio: 'ignore', timeout: 10_000 });
    return r.status === 0 && /^\d+\s*$/m.test(readFileSync(out, 'utf8'));
  } catch {
    return false;
  } finally {
    rmSync(out, { force: true });
  }
}

function peakWithTime(argv, cwd) {
  const out = join(tmpdir(), `restorable-bench-rss-${process.pid}.txt`);
  const devnull = openSync('/dev/null', 'w');
  try {
    const elapsed = stopwatch();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, ...argv], { cwd, stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8', maxBuffer: 64 * MiB });
    const seconds = elapsed();
    checkInterrupted(r);
    if (r.error) return { error: r.error.message };
    if (r.status !== 0) return { error: `exited with status ${r.status ?? r.signal}\n${tail(r.stderr)}` };
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const kib = Number(lines[lines.length - 1]);
    if (!Number.isFinite(kib)) return { error: `could not read /usr/bin/time output: ${lines.join(' ')}` };
    return { bytes: kib * 1024, seconds };
  } finally {
    closeSync(devnull);
    rmSync(out, { force: true });
  }
}

/** Polls /proc/PID/status VmHWM every 20 ms; the last reading before exit is the peak. */
function peakWithProc(argv, cwd) {
  return new Promise((resolveP) => {
    const elapsed = stopwatch();
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-16 * KiB);
    });
    let peak = 0;
    const poll = () => {
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        // exited between polls
      }
    };
    const timer = setInterval(poll, 20);
    child.on('error', (err) => {
      clearInterval(timer);
      resolveP({ error: err.message });
    });
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      const seconds = elapsed();
      if (signal === 'SIGINT' || signal === 'SIGTERM' || code === 130) markInterrupted();
      if (code !== 0) resolveP({ error: `exited with ${code === null ? `signal ${signal}` : `status ${code}`}\n${tail(stderr)}` });
      else if (peak === 0) resolveP({ error: 'no VmHWM reading (did the process end within 20 ms?)' });
      else resolveP({ bytes: peak, seconds });
    });
  });
}

/** Measures peak RSS on a file of opts.memorySize bytes; adds its rows; false when a command failed. */
export async function measureMemory(opts, rows) {
  const big = join(opts.dir, `memory-${sizeLabel(opts.memorySize)}.bin`);
  const name = basename(big);
  const method = opts.rssMethod === 'proc' ? 'proc' : timeWorks() ? 'time' : opts.rssMethod === 'time' ? null : 'proc';
  rows.push({ kind: 'section', text: `f. peak memory, ${human(opts.memorySize)} file` });
  if (!method) {
    rows.push({ kind: 'note', text: '/usr/bin/time -f %M does not work here; use --rss-method proc' });
    return false;
  }
  log(`peak memory on ${name} (${human(opts.memorySize)})…`);
  await ensureDataFile(big, opts.memorySize);

  // Delete the manifests this measurement makes for BIG, even on failure or Ctrl-C.
  const suffixes = ['.manifest.json', '.blocks.json', '.sha256'];
  const before = new Set(readdirSync(opts.dir));
  const removeManifests = () => {
    for (const entry of readdirSync(opts.dir)) {
      const ours = entry === `${name}.manifest.json` || (!before.has(entry) && entry.startsWith(`${name}.`) && suffixes.some((s) => entry.endsWith(s)));
      if (ours) rmSync(join(opts.dir, entry), { force: true });
    }
  };
  cleanups.add(removeManifests);
  let failed = false;
  try {
    const runs = [
      { label: `restorable manifest BIG --algo sha256 --force`, argv: [NODE, CLI, 'manifest', name, '--algo', 'sha256', '--force'] },
      { label: `restorable verify BIG`, argv: [NODE, CLI, 'verify', name] },
    ];
    for (const run of runs) {
      checkInterrupted();
      const r = method === 'time' ? peakWithTime(run.argv, opts.dir) : await peakWithProc(run.argv, opts.dir);
      checkInterrupted();
      if (r.error) {
        failed = true;
        rows.push({ kind: 'cmd', label: `peak RSS: ${run.label}`, seconds: null, error: r.error });
        // verify is meaningless without the manifest
        if (run === runs[0]) {
          rows.push({ kind: 'cmd', label: `peak RSS: ${runs[1].label}`, seconds: null, skipped: 'manifest failed' });
          break;
        }
        continue;
      }
      const mb = r.bytes / 1e6;
      rows.push({
        kind: 'check',
        label: `peak RSS: ${run.label}`,
        seconds: r.seconds,
        value: `${mb.toFixed(1)} MB`,
        target: `< ${MEMORY_TARGET_BYTES / 1e6} MB`,
        result: r.bytes < MEMORY_TARGET_BYTES ? 'PASS' : 'FAIL',
      });
    }
    rows.push({ kind: 'note', text: `peak RSS via ${method === 'time' ? '/usr/bin/time -f %M' : '/proc/PID/status VmHWM polled every 20 ms'}; one run each; MB = 10^6 bytes` });
  } finally {
    removeManifests();
    cleanups.delete(removeManifests);
  }
  return !failed;
}
