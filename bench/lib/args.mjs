// bench/run.mjs's options: the comparisons it knows, its --help text and the
// parsing of its command line.
import { resolve } from 'node:path';
import { DEFAULT_DIR } from './paths.mjs';
import { GiB, UsageError, parseSize } from './sizes.mjs';

export { UsageError };

export const GROUPS = [
  { id: 'sha256', letter: 'a', what: 'verify FILE.sha256 vs openssl dgst, sha256sum' },
  { id: 'multi', letter: 'b', what: 'manifest --algo md5,sha256,sha512 vs 3 passes' },
  { id: 'blockmap', letter: 'c', what: 'manifest --blocks vs 2 passes' },
  { id: 'threads', letter: 'd', what: 'blocks FILE vs blocks FILE --threads 1' },
  { id: 'blake3', letter: 'e', what: 'verify FILE.b3 vs b3sum (no target)' },
  { id: 'memory', letter: 'f', what: 'peak RSS of manifest + verify, --memory-size' },
  { id: 'limit', letter: 'g', what: 'blocks and manifest --blocks vs the two-core limit, in process' },
];

export const USAGE = `usage: node bench/run.mjs [options]      (npm run bench -- [options])

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

const TAKES_VALUE = ['--size', '--runs', '--memory-size', '--dir', '--only', '--rss-method'];

/** Parses argv (without node and the script); throws UsageError. */
export function parseArgs(argv) {
  const opts = {
    size: 1 * GiB,
    runs: 5,
    memorySize: 4 * GiB,
    dir: DEFAULT_DIR,
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
      case '--only':
        opts.only = parseOnly(next());
        break;
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
    if (value !== undefined && !TAKES_VALUE.includes(arg)) {
      throw new UsageError(`${arg} takes no value`);
    }
  }
  return opts;
}

/** --only's value: comparison names or letters, comma-separated, as a Set of ids. */
function parseOnly(text) {
  const wanted = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const only = new Set();
  for (const w of wanted) {
    const g = GROUPS.find((x) => x.id === w || x.letter === w);
    if (!g) throw new UsageError(`--only: unknown comparison ${JSON.stringify(w)} (one of: ${GROUPS.map((x) => `${x.letter}/${x.id}`).join(', ')})`);
    only.add(g.id);
  }
  if (only.size === 0) throw new UsageError('--only needs at least one name');
  return only;
}
