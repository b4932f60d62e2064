import { AbortError, EXIT } from '../core/errors.js';
import { liveTempPaths, removeTempPathsSync } from '../core/temp-paths.js';

/**
 * The one abort path of a command-line run. SIGINT and SIGTERM are caught
 * from the first line of the program (bin/restorable.js hands over any that
 * came during start-up): the first aborts `interruptSignal`, which every
 * check, worker job, download and child process takes, and the command then
 * ends with exit 130 once its temp folders are gone. A second one exits at
 * once, after removing the temp folders still present.
 */
const controller = new AbortController();
export const interruptSignal: AbortSignal = controller.signal;

let installed = false;
let signals = 0;
/** Set by a command whose purpose is to run until stopped (watch): a stop then ends it with exit 0. */
let stopIsNormal = false;

function onSignal(): void {
  if (++signals > 1) {
    removeTempPathsSync();
    const left = liveTempPaths();
    process.stderr.write(`restorable: interrupted${left.length ? `; could not remove ${left.join(', ')}` : ''}\n`);
    process.exit(EXIT.interrupted);
  }
  controller.abort(new AbortError());
}

/** Installs the handlers; `early` counts signals that came before (during start-up). */
export function installInterrupts(early = 0): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  for (let i = 0; i < early; i++) onSignal();
}

export function interrupted(): boolean {
  return controller.signal.aborted;
}

export function runsUntilStopped(): void {
  stopIsNormal = true;
}

/** The exit code a run ends with: 130 if it was interrupted, whatever the command returned. */
export function finalExitCode(code: number): number {
  return interrupted() && !stopIsNormal ? EXIT.interrupted : code;
}
