// Timing whole processes: interleaved rounds after an uncounted warm-up round
// (which also checks each tool's output), and medians.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { checkInterrupted } from './interrupt.mjs';
import { MiB } from './sizes.mjs';
import { firstLine, log, outputTail } from './text.mjs';

/** Starts a clock; the function it returns gives the seconds since. */
export function stopwatch() {
  const t0 = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Seconds one whole process takes (argv[0] with its arguments), output
 * discarded; `sync` first, so that no dirty pages of the command before it
 * are written on its time. A command that fails stops the benchmark.
 */
export function timeCommand(argv) {
  spawnSync('sync');
  const elapsed = stopwatch();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const s = elapsed();
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return s;
}

/**
 * Each command (name → argv) timed once a round, `runs` rounds after a
 * first one that warms the page cache and is not counted, in the same order
 * each round; the seconds of each, by name.
 */
export function timeRounds(commands, runs) {
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let round = 0; round <= runs; round++) {
    for (const [name, argv] of Object.entries(commands)) {
      const s = timeCommand(argv);
      if (round > 0) times[name].push(s);
    }
  }
  return times;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The median of the numbers `measure` returns (or resolves to) in `runs` runs, one after another. */
export async function medianOf(runs, measure) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await measure());
  return median(times);
}

/** One whole-process run. stdout goes to /dev/null (or is captured in the warm-up round). */
function timeOnce(cmd, cwd, devnull, capture) {
  const elapsed = stopwatch();
  const r = spawnSync(cmd.argv[0], cmd.argv.slice(1), {
    cwd,
    stdio: ['ignore', capture ? 'pipe' : devnull, 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  const seconds = elapsed();
  checkInterrupted(r);
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) {
    return { error: `exited with ${r.status === null ? `signal ${r.signal}` : `status ${r.status}`}\n${outputTail(r.stderr, r.stdout)}`.trimEnd() };
  }
  return { seconds, stdout: r.stdout };
}

/**
 * Runs every command once per round, opts.runs + 1 rounds, in cwd. The first
 * round is a warm-up: not counted, but each output is checked against
 * `expected`. A command that fails gets `error` and is dropped; the others
 * collect their seconds in `times`.
 */
export function runRounds(commands, opts, cwd, expected) {
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
