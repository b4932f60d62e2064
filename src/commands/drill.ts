import type { Command } from 'commander';
import { durationArg, jsonOption, percentArg, stateDirOption, targetArg } from './options.js';
import { runJobs } from './runner.js';
import { openSession } from './session.js';

interface DrillFlags {
  json?: boolean;
  verbose?: boolean;
  tempDir?: string;
  runAs?: string;
  stateDir?: string;
  maxDrop?: number;
  maxDuration?: number;
  expect?: string;
}

export function registerDrill(program: Command): void {
  program
    .command('drill')
    .description('restore drill: restore each database dump into a server started for it alone, count every table’s rows against the dump, time it; remove everything after')
    .argument('<file...>', 'dumps: pg_dump (plain, gzip, custom), pg_dumpall, mysqldump or mariadb-dump, sqlite3 .dump or a SQLite database, a pg_basebackup base.tar')
    .option('--run-as <user>', 'when run as root: the unprivileged user the server and the restore run as (servers never run as root)')
    .option('--temp-dir <dir>', 'where the server’s throwaway folder is made (default: the system temp folder)')
    .option('--max-drop <percent>', 'fail a table whose rows fell by more than this since the last drill of the same series (default 50%)', percentArg)
    .option('--max-duration <time>', 'stop a drill that takes longer than this (90s, 30m, 2h): the server is stopped and removed, and the dump is reported as not checked', durationArg)
    .option('--expect <file>', 'YAML or JSON: the fewest rows each table must have (min_rows) and SQL probes that must return true in the restored database (probes)')
    .option('-v, --verbose', 'list every table’s rows')
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .action(async (files: string[], flags: DrillFlags) => {
      const session = openSession({ warm: 0 });
      try {
        const { resolveRunAs } = await import('../core/drill/run-as.js');
        const runAs = await resolveRunAs(flags.runAs);
        const { readExpectations } = await import('../core/drill/expectations.js');
        const expect = flags.expect ? await readExpectations(flags.expect) : undefined;
        const { drill } = await import('../core/drill/drill.js');
        const { drillOptionsFor, rememberDrill } = await import('../core/drill/ledger-drills.js');
        const { Ledger, defaultStateDir } = await import('../core/schedule/ledger.js');
        // Each drill is held to the last one of its series, and recorded for the next.
        const ledger = await Ledger.open(flags.stateDir ?? defaultStateDir());
        const optionsFor = drillOptionsFor(ledger, { runAs, tempDir: flags.tempDir, maxDrop: flags.maxDrop, expect });
        const jobs = files.map(targetArg).map((file) => ({
          file,
          run: () => drillWithin(flags.maxDuration, session.signal, (signal) => drill(file, { ...optionsFor(file), signal })),
        }));
        process.exitCode = await runJobs(jobs, flags, {
          onResult: async (r) => {
            if (!r.drill) return;
            const { stat } = await import('node:fs/promises');
            const s = await stat(r.file).catch(() => undefined);
            ledger.record(r.file, 'drill', { status: r.status, size: r.size ?? 0, mtimeMs: s?.mtimeMs ?? 0, detail: r.findings.find((f) => f.severity === 'error')?.message });
            rememberDrill(ledger, r);
            await ledger.save();
          },
        });
      } finally {
        await session.close();
      }
    });
}

/**
 * A drill stopped after `seconds` (--max-duration): its server is stopped
 * and removed like on Ctrl-C, and the dump gets "could not check" (exit 2),
 * not a verdict: a slow restore is not a damaged dump.
 */
async function* drillWithin<T>(seconds: number | undefined, outer: AbortSignal, run: (signal: AbortSignal) => AsyncGenerator<T, import('../core/events/types.js').CheckResult>): AsyncGenerator<T, import('../core/events/types.js').CheckResult> {
  if (seconds === undefined) return yield* run(outer);
  const { RestorableError } = await import('../core/errors.js');
  const timeout = AbortSignal.timeout(seconds * 1000);
  try {
    return yield* run(AbortSignal.any([outer, timeout]));
  } catch (err) {
    if (timeout.aborted && !outer.aborted) throw new RestorableError(`stopped after --max-duration ${seconds} s: the restore had not finished (the server was stopped and removed)`);
    throw err;
  }
}
