import { printable } from '../output/format.js';
import type { Command } from 'commander';
import { RestorableError, isAbort, onAbort } from '../core/errors.js';
import { interruptSignal, runsUntilStopped } from './interrupt.js';
import { durationArg } from './options.js';
import { runScan, scanOptions, type ScanFlags } from './scan.js';

interface WatchFlags extends ScanFlags {
  interval: number;
}

/**
 * `restorable watch`: a scan of the tier, then another every --interval, in
 * the foreground (for a systemd service or a container). Scans never
 * overlap: each starts after the last ended, and the scan lock keeps other
 * runners off the same state folder. SIGTERM or Ctrl-C stops it cleanly.
 */
export function registerWatch(program: Command): void {
  scanOptions(
    program
      .command('watch')
      .description('run a tier now and then every --interval, in the foreground, until SIGTERM')
      .argument('<dir...>', 'folders of backups'),
  )
    .option('--interval <time>', 'time between the start of one scan and the next (e.g. 1h)', durationArg, 3600)
    .action(async (dirs: string[], flags: WatchFlags) => {
      // SIGTERM (systemctl stop, a pod ending) or Ctrl-C is how a watch ends: exit 0.
      runsUntilStopped();
      let wake: (() => void) | undefined;
      const stopping = () => interruptSignal.aborted;
      const removeListener = onAbort(interruptSignal, () => wake?.());
      try {
        while (!stopping()) {
          const started = Date.now();
          process.stderr.write(`restorable watch: scanning (tier ${flags.tier}) at ${new Date().toISOString()}\n`);
          try {
            const code = await runScan(dirs, flags);
            process.stderr.write(`restorable watch: scan ended with exit code ${code}\n`);
          } catch (err) {
            if (isAbort(err, interruptSignal)) break;
            if (!(err instanceof RestorableError)) throw err;
            process.stderr.write(`restorable watch: scan failed: ${printable(err.message)}\n`);
          }
          const wait = Math.max(0, flags.interval * 1000 - (Date.now() - started));
          if (!stopping()) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, wait);
              wake = () => (clearTimeout(timer), resolve());
            });
          }
        }
      } finally {
        removeListener();
      }
      process.stderr.write('restorable watch: stopped\n');
      process.exitCode = 0;
    });
}
