#!/usr/bin/env node
// restorable benchmarks (`npm run bench`): whole-process wall time of
// restorable against the system's sha256sum, openssl and b3sum and against
// naive single-thread baselines, all measured in ONE run and compared as
// ratios of medians, plus the peak memory of a large file. See --help.
//
// Plain Node ESM, node: built-ins only. Every file it makes lives in --dir
// (default .bench/ in the repo, which is gitignored).
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants as fsc,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(REPO, 'bin', 'restorable.js');
const BASELINES = join(REPO, 'bench', 'baselines');
const NODE = process.execPath;
const CHUNK = 8 * MiB; // generation and cache-warming reads
const BLOCK_SIZE = 1 * MiB; // restorable's default block size
const MEMORY_TARGET_BYTES = 150e6; // "< 150 MB", decimal megabytes

const GROUPS = [
  { id: 'sha256', letter: 'a', what: 'verify FILE.sha256 vs openssl dgst, sha256sum' },
  { id: 'multi', letter: 'b', what: 'manifest --algo md5,sha256,sha512 vs 3 passes' },
  { id: 'blockmap', letter: 'c', what: 'manifest --blocks vs 2 passes' },
  { id: 'threads', letter: 'd', what: 'blocks FILE vs blocks FILE --threads 1' },
  { id: 'blake3', letter: 'e', what: 'verify FILE.b3 vs b3sum (no target)' },
  { id: 'memory', letter: 'f', what: 'peak RSS of manifest + verify, --memory-size' },
];

const USAGE = `usage: node bench/run.mjs [options]      (npm run bench -- [options])

Times restorable against sha256sum, openssl, b3sum and naive one-thread
baselines. Each command runs --runs times in interleaved rounds (after one
warm-up round that is not counted); the report shows medians and ratios of
medians from this one run, with targets and PASS/FAIL.

options:
  --size SIZE          test file size (default 1GiB)
  --runs N             timed rounds (default 5)
  --memory-size SIZE   file for the peak-memory measurement (default 4GiB;
                       0 skips it)
  --dir PATH           where test files live (default .bench/ in the repo)
  --only NAME,...      run only these comparisons (names or letters):
${GROUPS.map((g) => `      ${g.letter}  ${g.id.padEnd(9)} ${g.what}`).join('\n')}
  --markdown           also print the results as a Markdown table
  --verbose            also print every run's time
  --rss-method M       auto (default: /usr/bin/time -f %M when it works, else
                       /proc polling), time, or proc
  -h, --help           this help

SIZE: a number of bytes with an optional K, M, G or T suffix (powers of 1024;
KiB, KB and K mean the same). Test files are created once with deterministic
content and reused while their size is right. Tools that are not installed
are skipped with a note. Exit code: 0 when everything ran, even if a target
FAILs (this is a report); 1 when a command could not run or failed; 2 for a
usage error; 130 when interrupted.
`;

// ---------------------------------------------------------------- arguments

class UsageError extends Error {}

function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(String(text));
  if (!m) throw new UsageError(`not a size: ${JSON.stringify(text)} (try 1GiB, 64M, 1048576)`);
  const mult = { '': 1, k: KiB, m: MiB, g: GiB, t: 1024 * GiB }[m[2].toLowerCase()];
  const bytes = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`size too large: ${text}`);
  return bytes;
}

function parseArgs(argv) {
  const opts = {
    size: 1 * GiB,
    runs: 5,
    memorySize: 4 * GiB,
    dir: join(REPO, '.bench'),
    only: null,
    markdown: false,
    verbose: false,
    rssMethod: 'auto',
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '-h':
      case '--help':
        opts.help = true;
        break;
      case '--size':
        opts.size = parseSize(next());
        if (opts.size < 1) throw new UsageError('--size must be at least 1 byte');
        break;
      case '--runs': {
        const v = next();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--runs: expected a whole number from 1 to 1000, got ${v}`);
        opts.runs = n;
        break;
      }
      case '--memory-size':
        opts.memorySize = parseSize(next());
        break;
      case '--dir':
        opts.dir = resolve(next());
        break;
      case '--only': {
        const wanted = next().split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
        opts.only = new Set();
        for (const w of wanted) {
          const g = GROUPS.find((x) => x.id === w || x.letter === w);
          if (!g) throw new UsageError(`--only: unknown comparison ${JSON.stringify(w)} (one of: ${GROUPS.map((x) => `${x.letter}/${x.id}`).join(', ')})`);
          opts.only.add(g.id);
        }
        if (opts.only.size === 0) throw new UsageError('--only needs at least one name');
        break;
      }
      case '--markdown':
        opts.markdown = true;
        break;
      case '--verbose':
      case '-v':
        opts.verbose = true;
        break;
      case '--rss-method': {
        const v = next();
        if (!['auto', 'time', 'proc'].includes(v)) throw new UsageError(`--rss-method: expected auto, time or proc, got ${v}`);
        opts.rssMethod = v;
        break;
      }
      default:
        throw new UsageError(`unknown argument: ${arg}`);
    }
    if (value !== undefined && !['--size', '--runs', '--memory-size', '--dir', '--only', '--rss-method'].includes(arg)) {
      throw new UsageError(`${arg} takes no value`);
    }
  }
  return opts;
}

// ---------------------------------------------------------------- helpers

let interrupted = false;
const cleanups = new Set();
process.on('SIGINT', onInterrupt);
process.on('SIGTERM', onInterrupt);
function onInterrupt() {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\ninterrupted; cleaning up…\n');
}
function checkInterrupted(child) {
  // A synchronous child shares our terminal's Ctrl-C, but our own handler only
  // runs once the event loop turns: a child killed by SIGINT/SIGTERM (or
  // exiting 130, as restorable and /usr/bin/time do) counts as an interrupt.
  if (child && !interrupted && (child.signal === 'SIGINT' || child.signal === 'SIGTERM' || child.status === 130)) onInterrupt();
  if (interrupted) throw new InterruptedError();
}
class InterruptedError extends Error {}
function runCleanups() {
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  cleanups.clear();
}

const log = (msg) => process.stderr.write(`${msg}\n`);

function which(cmd) {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    const p = join(d, cmd);
    try {
      accessSync(p, fsc.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

function sizeLabel(bytes) {
  for (const [unit, n] of [['TiB', 1024 * GiB], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]]) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return `${bytes}B`;
}

function human(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function firstLine(text) {
  return String(text ?? '').split('\n').find((l) => l.trim()) ?? '';
}

function tail(text, lines = 6) {
  return String(text ?? '').trimEnd().split('\n').slice(-lines).join('\n');
}

function toolVersion(path, args = ['--version']) {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 10_000 });
  return firstLine(r.stdout || r.stderr).trim();
}

function memAvailable() {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function machineInfo() {
  let model = cpus()[0]?.model?.trim() || 'unknown';
  const flags = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) model = m[1].trim();
    const f = /^flags\s*:\s*(.+)$/m.exec(info);
    if (f) {
      const set = new Set(f[1].split(/\s+/));
      for (const x of ['sha_ni', 'aes', 'avx2', 'avx512f']) if (set.has(x)) flags.push(x);
    }
  } catch {
    // not Linux
  }
  return { model, cores: availableParallelism(), flags };
}

/** Deterministic pseudo-random bytes: the AES-128-CTR keystream of a fixed key, from offset 0. */
function keystream() {
  const key = createHash('sha256').update('restorable bench v1').digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

function freeBytes(dir) {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return Infinity;
  }
}

/** Creates PATH with `size` deterministic bytes (via PATH.partial + rename), unless it exists with that size. */
async function ensureDataFile(path, size) {
  try {
    const st = statSync(path);
    if (st.isFile() && st.size === size) return false;
    if (!st.isFile()) throw new Error(`${path} exists and is not a file`);
    log(`  ${basename(path)} has ${st.size} bytes, expected ${size}; recreating it`);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const existing = existsSync(path) ? statSync(path).size : 0;
  const free = freeBytes(dirname(path));
  if (size - existing > free - 256 * MiB) {
    throw new Error(`not enough free space in ${dirname(path)} for ${basename(path)} (${human(size)} needed, ${human(free)} free)`);
  }
  const partial = `${path}.partial`;
  const cleanup = () => rmSync(partial, { force: true });
  cleanups.add(cleanup);
  log(`  creating ${basename(path)} (${human(size)}, AES-CTR keystream)…`);
  const cipher = keystream();
  const zeros = Buffer.alloc(CHUNK);
  const fh = await open(partial, 'w');
  try {
    let done = 0;
    while (done < size) {
      checkInterrupted();
      const n = Math.min(CHUNK, size - done);
      const data = cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n));
      let off = 0;
      while (off < n) off += (await fh.write(data, off, n - off, done + off)).bytesWritten;
      done += n;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  renameSync(partial, path);
  cleanups.delete(cleanup);
  return true;
}

/** Reads the file once (warming the page cache) and returns its sha256. */
async function readAndHash(path) {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const fh = await open(path, 'r');
  try {
    let pos = 0;
    for (;;) {
      checkInterrupted();
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** Runs a preparation command (not timed); throws with its stderr on failure. */
function runChecked(argv, { cwd, stdoutTo } = {}) {
  const out = stdoutTo ? openSync(stdoutTo, 'w') : 'pipe';
  try {
    const r = spawnSync(argv[0], argv.slice(1), { cwd, stdio: ['ignore', out, 'pipe'], encoding: 'utf8', maxBuffer: 64 * MiB });
    checkInterrupted(r);
    if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
    if (r.status !== 0) {
      throw new Error(`\`${argv.map((a) => (a === NODE ? 'node' : a)).join(' ')}\` (in ${cwd}) exited with ${r.status ?? r.signal}\n${tail(r.stderr)}${r.stdout ? `\n${tail(r.stdout)}` : ''}`);
    }
    return r.stdout;
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

// ---------------------------------------------------------------- plan

function buildPlan(opts, tools, F) {
  const R = (...args) => [NODE, CLI, ...args];
  const B = (script, ...args) => [NODE, join(BASELINES, script), ...args];
  const want = (id) => !opts.only || opts.only.has(id);
  const groups = [];

  if (want('sha256')) {
    groups.push({
      id: 'sha256',
      title: 'a. sha256 of a checksum file',
      needs: ['sha256'],
      commands: [
        { key: 'r-sha256', label: 'restorable verify FILE.sha256', argv: R('verify', F.sha256) },
        { key: 'openssl', label: 'openssl dgst -sha256 FILE', argv: [tools.openssl, 'dgst', '-sha256', F.data], tool: 'openssl', expect: 'sha256' },
        { key: 'sha256sum', label: 'sha256sum FILE', argv: [tools.sha256sum, F.data], tool: 'sha256sum', expect: 'sha256' },
      ],
      checks: [
        { label: 'restorable / openssl', num: 'r-sha256', den: 'openssl', op: '<=', target: 1.15 },
        { label: 'sha256sum / restorable', num: 'sha256sum', den: 'r-sha256', op: '>=', target: 4 },
      ],
    });
  }
  if (want('multi')) {
    groups.push({
      id: 'multi',
      title: 'b. md5 + sha256 + sha512 manifest',
      needs: [],
      commands: [
        { key: 'r-multi', label: 'restorable manifest FILE --algo md5,sha256,sha512 --force', argv: R('manifest', F.data, '--algo', 'md5,sha256,sha512', '--force') },
        { key: 'three-seq', label: 'baseline three-sequential.mjs FILE', argv: B('three-sequential.mjs', F.data), expect: 'sha256' },
      ],
      checks: [{ label: 'restorable / three sequential', num: 'r-multi', den: 'three-seq', op: '<=', target: 0.55 }],
    });
  }
  if (want('blockmap')) {
    groups.push({
      id: 'blockmap',
      title: 'c. block map + whole-file sha256',
      needs: [],
      commands: [
        { key: 'r-blockmap', label: 'restorable manifest FILE --blocks --force', argv: R('manifest', F.data, '--blocks', '--force') },
        { key: 'two-pass', label: 'baseline two-pass.mjs FILE', argv: B('two-pass.mjs', F.data, '--block-size', String(BLOCK_SIZE)), expect: 'sha256' },
      ],
      checks: [{ label: 'restorable / two passes', num: 'r-blockmap', den: 'two-pass', op: '<=', target: 0.6 }],
    });
  }
  if (want('threads')) {
    groups.push({
      id: 'threads',
      title: 'd. block verification with worker threads',
      needs: ['blocks'],
      commands: [
        { key: 'r-blocks', label: 'restorable blocks FILE', argv: R('blocks', F.data) },
        { key: 'r-blocks-1', label: 'restorable blocks FILE --threads 1', argv: R('blocks', F.data, '--threads', '1') },
      ],
      checks: [{ label: 'speed-up (--threads 1 / default)', num: 'r-blocks-1', den: 'r-blocks', op: '>=', target: 1.7 }],
    });
  }
  if (want('blake3')) {
    groups.push({
      id: 'blake3',
      title: 'e. blake3 (informational)',
      needs: ['b3'],
      requires: 'b3sum',
      commands: [
        { key: 'r-b3', label: 'restorable verify FILE.b3', argv: R('verify', F.b3) },
        { key: 'b3sum', label: 'b3sum FILE', argv: [tools.b3sum, F.data], tool: 'b3sum', expect: 'b3' },
      ],
      checks: [{ label: 'restorable / b3sum', num: 'r-b3', den: 'b3sum', op: 'info' }],
    });
  }
  return groups;
}

// ---------------------------------------------------------------- timing

/** One whole-process run. stdout goes to /dev/null (or is captured in the warm-up round). */
function timeOnce(cmd, cwd, devnull, capture) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd.argv[0], cmd.argv.slice(1), {
    cwd,
    stdio: ['ignore', capture ? 'pipe' : devnull, 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  checkInterrupted(r);
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) {
    return { error: `exited with ${r.status === null ? `signal ${r.signal}` : `status ${r.status}`}\n${tail(r.stderr)}${r.stdout ? `\n${tail(r.stdout)}` : ''}`.trimEnd() };
  }
  return { seconds, stdout: r.stdout };
}

function runRounds(commands, opts, cwd, expected) {
  const devnull = openSync('/dev/null', 'w');
  try {
    const total = opts.runs + 1;
    for (let round = 0; round < total; round++) {
      const warm = round === 0;
      log(warm ? `warm-up round (not counted)…` : `round ${round}/${opts.runs}…`);
      // Rotate the starting command each round so no command always follows the same one.
      const live = commands.filter((c) => !c.error);
      const start = live.length ? round % live.length : 0;
      for (const cmd of [...live.slice(start), ...live.slice(0, start)]) {
        const r = timeOnce(cmd, cwd, devnull, warm);
        if (r.error) {
          cmd.error = r.error;
          log(`  ✗ ${cmd.label}: ${firstLine(r.error)}`);
          continue;
        }
        if (warm) {
          const problem = checkOutput(cmd, r.stdout, expected);
          if (problem) {
            cmd.error = problem;
            log(`  ✗ ${cmd.label}: ${problem}`);
          }
        } else {
          cmd.times.push(r.seconds);
        }
      }
    }
  } finally {
    closeSync(devnull);
  }
}

/** Sanity check of a baseline's or tool's output in the warm-up round: did it compute the right digest? */
function checkOutput(cmd, stdout, expected) {
  const want = expected[cmd.expect];
  if (!cmd.expect || !want) return null;
  if (!String(stdout).toLowerCase().includes(want)) {
    return `printed ${JSON.stringify(firstLine(stdout))}, which does not contain the expected ${cmd.expect} ${want}`;
  }
  return null;
}

// ---------------------------------------------------------------- peak memory

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
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, ...argv], { cwd, stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8', maxBuffer: 64 * MiB });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
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
    const t0 = process.hrtime.bigint();
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
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (signal === 'SIGINT' || signal === 'SIGTERM' || code === 130) interrupted = true;
      if (code !== 0) resolveP({ error: `exited with ${code === null ? `signal ${signal}` : `status ${code}`}\n${tail(stderr)}` });
      else if (peak === 0) resolveP({ error: 'no VmHWM reading (did the process end within 20 ms?)' });
      else resolveP({ bytes: peak, seconds });
    });
  });
}

async function measureMemory(opts, rows) {
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

// ---------------------------------------------------------------- report

const fmtSeconds = (s) => (s == null ? '' : s.toFixed(3));
const fmtRatio = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function evaluate(groups, rows, opts) {
  for (const g of groups) {
    rows.push({ kind: 'section', text: g.title });
    if (g.skipped) {
      rows.push({ kind: 'note', text: g.skipped });
      continue;
    }
    const byKey = new Map(g.commands.map((c) => [c.key, c]));
    for (const c of g.commands) {
      if (c.skipped) rows.push({ kind: 'cmd', label: c.label, seconds: null, skipped: c.skipped });
      else if (c.error) rows.push({ kind: 'cmd', label: c.label, seconds: null, error: c.error });
      else rows.push({ kind: 'cmd', label: c.label, seconds: median(c.times), times: c.times });
    }
    for (const chk of g.checks) {
      const a = byKey.get(chk.num);
      const b = byKey.get(chk.den);
      const target = chk.op === 'info' ? '—' : `${chk.op === '<=' ? '≤' : '≥'} ${chk.target}`;
      const missing = [a, b].find((c) => c.skipped || c.error);
      if (missing) {
        rows.push({ kind: 'check', label: chk.label, seconds: null, value: '—', target, result: missing.skipped ? 'skipped' : 'ERROR' });
        continue;
      }
      const ratio = median(a.times) / median(b.times);
      const pass = chk.op === '<=' ? ratio <= chk.target : chk.op === '>=' ? ratio >= chk.target : null;
      rows.push({ kind: 'check', label: chk.label, seconds: null, value: fmtRatio(ratio), target, result: pass === null ? 'info' : pass ? 'PASS' : 'FAIL' });
    }
  }
}

function renderText(rows, opts, color) {
  const paint = (result) => {
    if (!color) return result;
    const code = { PASS: 32, FAIL: '1;31', ERROR: '1;31', skipped: 33 }[result];
    return code ? `\x1b[${code}m${result}\x1b[0m` : result;
  };
  const header = ['measurement', 'median s', 'ratio', 'target', 'result'];
  const cells = rows
    .filter((r) => r.kind === 'cmd' || r.kind === 'check')
    .map((r) => cellsOf(r));
  const w = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c, raw = c) =>
    `${c[0].padEnd(w[0])}  ${c[1].padStart(w[1])}  ${c[2].padStart(w[2])}  ${c[3].padEnd(w[3])}  ${raw[4]}`.trimEnd();
  const out = [line(header), '─'.repeat(w.reduce((a, b) => a + b + 2, -2) + 0)];
  for (const r of rows) {
    if (r.kind === 'section') out.push(r.text);
    else if (r.kind === 'note') out.push(`  (${r.text})`);
    else {
      const c = cellsOf(r);
      out.push(line(c, [...c.slice(0, 4), paint(c[4])]));
      if (r.error) for (const l of r.error.split('\n')) out.push(`      ${l}`);
      if (opts.verbose && r.times) out.push(`      runs: ${r.times.map((t) => t.toFixed(3)).join(' ')}`);
    }
  }
  return out.join('\n');
}

function cellsOf(r) {
  const label = `  ${r.label}`;
  if (r.kind === 'cmd') {
    const result = r.error ? 'ERROR' : r.skipped ? 'skipped' : '';
    return [label, fmtSeconds(r.seconds), '', '', result];
  }
  return [label, fmtSeconds(r.seconds), r.value ?? '', r.target ?? '', r.result ?? ''];
}

function renderMarkdown(rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const out = ['| measurement | median s | ratio | target | result |', '|---|---:|---:|---|---|'];
  for (const r of rows) {
    if (r.kind === 'section') out.push(`| **${esc(r.text)}** | | | | |`);
    else if (r.kind === 'note') out.push(`| _${esc(r.text)}_ | | | | |`);
    else {
      const c = cellsOf(r);
      const label = r.kind === 'cmd' || r.label.startsWith('peak RSS') ? `\`${esc(r.label.replace(/^peak RSS: /, ''))}\`` : esc(r.label);
      const shown = r.label.startsWith('peak RSS') ? `peak RSS ${label}` : label;
      const result = c[4] === 'FAIL' || c[4] === 'ERROR' ? `**${esc(c[4])}**` : esc(c[4]);
      out.push(`| ${shown} | ${c[1]} | ${esc(c[2])} | ${esc(c[3])} | ${result} |`);
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message} (see --help)\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) {
    process.stderr.write('bench: dist/cli.js is missing; run `npm run build` first (npm run bench does)\n');
    return 2;
  }

  const tools = { openssl: which('openssl'), sha256sum: which('sha256sum'), b3sum: which('b3sum') };
  const machine = machineInfo();
  const memoryWanted = (!opts.only || opts.only.has('memory')) && opts.memorySize > 0;
  mkdirSync(opts.dir, { recursive: true });

  const F = {
    data: `bench-${sizeLabel(opts.size)}.bin`, // relative to opts.dir, the cwd of every command
  };
  F.sha256 = `${F.data}.sha256`;
  F.b3 = `${F.data}.b3`;
  F.blocks = `${F.data}.blocks.json`;
  const dataPath = join(opts.dir, F.data);

  const groups = buildPlan(opts, tools, F);
  const notes = [];
  for (const g of groups) {
    if (g.requires && !tools[g.requires]) g.skipped = `skipped: ${g.requires} is not installed`;
    for (const c of g.commands) {
      if (c.tool && !tools[c.tool]) {
        c.skipped = `${c.tool} not installed`;
        notes.push(`${c.tool} is not installed; its measurements are skipped`);
      }
      c.times = [];
    }
  }

  // Header: machine and setup.
  const mem = memAvailable();
  const header = [
    `restorable bench — ${new Date().toISOString()}`,
    `cpu: ${machine.model}; ${machine.cores} cores${machine.flags.length ? ` (${machine.flags.join(', ')})` : ''}; ${human(totalmem())} RAM; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `node ${process.version}; ${Object.entries(tools).map(([k, p]) => (p ? toolVersion(p, k === 'openssl' ? ['version'] : ['--version']) : `${k}: not installed`)).join('; ')}`,
  ];
  if (groups.length) {
    header.push(`file: ${human(opts.size)} (${opts.size} bytes) in ${opts.dir}; ${opts.runs} timed round${opts.runs === 1 ? '' : 's'} + 1 warm-up, interleaved; median of whole-process wall time`);
  }
  if (memoryWanted) header.push(`memory file: ${human(opts.memorySize)} in ${opts.dir}; one run per command`);

  const rows = [];
  let failures = 0;
  const expected = {};

  if (groups.length) {
    log(`preparing ${F.data} in ${opts.dir}…`);
    await ensureDataFile(dataPath, opts.size);
    if (mem !== null && opts.size > mem * 0.8) {
      notes.push(`the ${human(opts.size)} file may not fit in the page cache (${human(mem)} available): timings include disk reads`);
    }
    // Reading it once warms the page cache and gives the reference sha256.
    log('  warming the page cache…');
    expected.sha256 = await readAndHash(dataPath);

    const needs = new Set(groups.filter((g) => !g.skipped).flatMap((g) => g.needs));
    if (needs.has('sha256')) {
      if (tools.sha256sum) {
        log(`  sha256sum ${F.data} > ${F.sha256}`);
        runChecked([tools.sha256sum, F.data], { cwd: opts.dir, stdoutTo: join(opts.dir, F.sha256) });
        const got = readFileSync(join(opts.dir, F.sha256), 'utf8').slice(0, 64);
        if (got !== expected.sha256) throw new Error(`sha256sum wrote ${got}, node:crypto computed ${expected.sha256}`);
      } else {
        writeFileSync(join(opts.dir, F.sha256), `${expected.sha256}  ${F.data}\n`);
        notes.push(`${F.sha256} was written with node:crypto (sha256sum is not installed)`);
      }
    }
    if (needs.has('b3')) {
      log(`  b3sum ${F.data} > ${F.b3}`);
      runChecked([tools.b3sum, F.data], { cwd: opts.dir, stdoutTo: join(opts.dir, F.b3) });
      expected.b3 = readFileSync(join(opts.dir, F.b3), 'utf8').slice(0, 64);
    }
    if (needs.has('blocks')) {
      log(`  restorable manifest ${F.data} --blocks --force`);
      runChecked([NODE, CLI, 'manifest', F.data, '--blocks', '--force'], { cwd: opts.dir });
      const map = JSON.parse(readFileSync(join(opts.dir, F.blocks), 'utf8'));
      if (map.file_hash !== expected.sha256 || map.total_blocks !== Math.ceil(opts.size / BLOCK_SIZE)) {
        throw new Error(`${F.blocks} looks wrong: file_hash ${map.file_hash}, total_blocks ${map.total_blocks} (expected ${expected.sha256}, ${Math.ceil(opts.size / BLOCK_SIZE)})`);
      }
    }

    const commands = groups.filter((g) => !g.skipped).flatMap((g) => g.commands).filter((c) => !c.skipped);
    log(`timing ${commands.length} commands…`);
    runRounds(commands, opts, opts.dir, expected);
    failures += commands.filter((c) => c.error).length;
    evaluate(groups, rows, opts);
  }

  if (memoryWanted) {
    if (!(await measureMemory(opts, rows))) failures++;
  } else if (!opts.only || opts.only.has('memory')) {
    notes.push('peak memory skipped (--memory-size 0)');
  }

  if (rows.length === 0) notes.push('nothing to measure');

  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const out = [...header, ...notes.map((n) => `note: ${n}`), '', renderText(rows, opts, color)];
  const results = rows.filter((r) => r.kind === 'check' && r.result);
  const failed = results.filter((r) => r.result === 'FAIL');
  const targets = results.filter((r) => r.result === 'PASS' || r.result === 'FAIL');
  out.push('');
  out.push(
    failed.length
      ? `${color ? '\x1b[1;31m' : ''}FAIL${color ? '\x1b[0m' : ''}: ${failed.length} of ${targets.length} targets missed: ${failed.map((r) => r.label.trim()).join('; ')}`
      : `${targets.length} of ${targets.length} targets met`,
  );
  if (failures) out.push(`ERROR: ${failures} measurement${failures === 1 ? '' : 's'} could not run (see above)`);
  if (opts.markdown) {
    const what = groups.length ? `${human(opts.size)} file, median of ${opts.runs}` : `${human(opts.memorySize)} file`;
    out.push('', `Markdown (${what}; ${machine.model}, ${machine.cores} cores, node ${process.version}):`, '');
    out.push(renderMarkdown(rows));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return failures ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof InterruptedError) {
    process.exitCode = 130;
  } else {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
} finally {
  runCleanups();
}
// Signal handlers keep nothing alive, but make sure we do not linger.
process.removeListener('SIGINT', onInterrupt);
process.removeListener('SIGTERM', onInterrupt);
