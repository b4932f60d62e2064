// Before timing: the test file, a warm page cache, its reference sha256, and
// the checksum files and block map the comparisons read (none of it timed).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataFile, readAndHash } from './data-file.mjs';
import { checkInterrupted } from './interrupt.mjs';
import { CLI, NODE } from './paths.mjs';
import { BLOCK_SIZE } from './plan.mjs';
import { MiB, human } from './sizes.mjs';
import { log, outputTail } from './text.mjs';

/** Runs a preparation command (not timed); throws with its stderr on failure. */
function runChecked(argv, { cwd, stdoutTo } = {}) {
  const out = stdoutTo ? openSync(stdoutTo, 'w') : 'pipe';
  try {
    const r = spawnSync(argv[0], argv.slice(1), { cwd, stdio: ['ignore', out, 'pipe'], encoding: 'utf8', maxBuffer: 64 * MiB });
    checkInterrupted(r);
    if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
    if (r.status !== 0) {
      throw new Error(`\`${argv.map((a) => (a === NODE ? 'node' : a)).join(' ')}\` (in ${cwd}) exited with ${r.status ?? r.signal}\n${outputTail(r.stderr, r.stdout)}`);
    }
    return r.stdout;
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

/**
 * Prepares what the groups that are not skipped need, in opts.dir; `mem` is
 * the memory available for the page cache (or null). Returns the digests the
 * warm-up round checks outputs against: { sha256, b3 }.
 */
export async function prepare(groups, opts, tools, F, mem, notes) {
  const expected = {};
  const dataPath = join(opts.dir, F.data);
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
  return expected;
}
