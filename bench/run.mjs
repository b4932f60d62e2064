#!/usr/bin/env node
// restorable benchmarks (`npm run bench`): whole-process wall time of
// restorable against the system's sha256sum, openssl and b3sum and against
// naive single-thread baselines, all measured in ONE run and compared as
// ratios of medians, plus the peak memory of a large file. See --help.
//
// Plain Node ESM, node: built-ins only. Every file it makes lives in --dir
// (default .bench/ in the repo, which is gitignored). The parts are in lib/:
// args (options), plan (what is compared), prepare and data-file (test
// files), timing, memory (peak RSS), tools (what this machine has), report.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { USAGE, UsageError, parseArgs } from './lib/args.mjs';
import { InterruptedError, handleInterrupts, runCleanups, stopHandlingInterrupts } from './lib/interrupt.mjs';
import { measureMemory } from './lib/memory.mjs';
import { REPO } from './lib/paths.mjs';
import { buildPlan, fileNames } from './lib/plan.mjs';
import { prepare } from './lib/prepare.mjs';
import { evaluate, formatReport, headerLines } from './lib/report.mjs';
import { log } from './lib/text.mjs';
import { runRounds } from './lib/timing.mjs';
import { twoCoreLimit } from './lib/limit.mjs';
import { findTools, machineInfo, memAvailable } from './lib/tools.mjs';

handleInterrupts();

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

  const tools = findTools();
  const machine = machineInfo();
  const memoryWanted = (!opts.only || opts.only.has('memory')) && opts.memorySize > 0;
  mkdirSync(opts.dir, { recursive: true });

  const F = fileNames(opts.size);
  const notes = [];
  const groups = buildPlan(opts, tools, F, notes);
  const timed = groups.length > 0;
  const mem = memAvailable();
  const header = headerLines(opts, machine, tools, timed, memoryWanted);

  const rows = [];
  let failures = 0;
  if (timed) {
    const expected = await prepare(groups, opts, tools, F, mem, notes);
    const all = groups.filter((g) => !g.skipped).flatMap((g) => g.commands).filter((c) => !c.skipped);
    const commands = all.filter((c) => !c.inProcess);
    log(`timing ${commands.length} commands…`);
    runRounds(commands, opts, opts.dir, expected);
    // The in-process limits, measured after the commands, with the machine as quiet as it gets.
    for (const c of all.filter((x) => x.inProcess)) {
      log(`measuring ${c.label}…`);
      for (let i = 0; i < opts.runs; i++) c.times.push(await twoCoreLimit(c.inProcess, opts.size));
    }
    failures += commands.filter((c) => c.error).length;
    evaluate(groups, rows);
  }

  if (memoryWanted) {
    if (!(await measureMemory(opts, rows))) failures++;
  } else if (!opts.only || opts.only.has('memory')) {
    notes.push('peak memory skipped (--memory-size 0)');
  }

  if (rows.length === 0) notes.push('nothing to measure');

  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  process.stdout.write(formatReport({ header, notes, rows, opts, failures, color, timed, machine }));
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
stopHandlingInterrupts();
