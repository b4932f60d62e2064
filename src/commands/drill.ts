import type { Command } from 'commander';
import { jsonOption, targetArg } from './options.js';
import { runJobs } from './runner.js';
import { openSession } from './session.js';

interface DrillFlags {
  json?: boolean;
  verbose?: boolean;
  tempDir?: string;
  runAs?: string;
}

export function registerDrill(program: Command): void {
  program
    .command('drill')
    .description('restore drill: restore each database dump into a server started for it alone, count every table’s rows against the dump, time it; remove everything after')
    .argument('<file...>', 'dumps: pg_dump (plain, gzip, custom), pg_dumpall, sqlite3 .dump')
    .option('--run-as <user>', 'when run as root: the unprivileged user the server and the restore run as (servers never run as root)')
    .option('--temp-dir <dir>', 'where the server’s throwaway folder is made (default: the system temp folder)')
    .option('-v, --verbose', 'list every table’s rows')
    .addOption(jsonOption())
    .action(async (files: string[], flags: DrillFlags) => {
      const session = openSession({ warm: 0 });
      try {
        const { resolveRunAs } = await import('../core/drill/run-as.js');
        const runAs = await resolveRunAs(flags.runAs);
        const { drill } = await import('../core/drill/drill.js');
        const jobs = files.map(targetArg).map((file) => ({ file, run: () => drill(file, { runAs, tempDir: flags.tempDir, signal: session.signal }) }));
        process.exitCode = await runJobs(jobs, flags);
      } finally {
        await session.close();
      }
    });
}
