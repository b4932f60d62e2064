import type { Worker } from 'node:worker_threads';
import { adoptEarlyWorker } from './core/hash/pool.js';
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT, RestorableError, isAbort } from './core/errors.js';
import { jsonText, printable } from './output/format.js';
import { finalExitCode, installInterrupts, interruptSignal } from './commands/interrupt.js';
import { registerBlocks } from './commands/blocks.js';
import { registerCompare } from './commands/compare.js';
import { registerDeep } from './commands/deep.js';
import { registerDrill } from './commands/drill.js';
import { registerDemo } from './commands/demo.js';
import { registerHeal } from './commands/heal.js';
import { registerInspect } from './commands/inspect.js';
import { registerLedger } from './commands/ledger.js';
import { registerLocations } from './commands/locations.js';
import { registerKeygen } from './commands/keygen.js';
import { registerManifest } from './commands/manifest.js';
import { registerRestoreTest } from './commands/restore-test.js';
import { registerSalvage } from './commands/salvage.js';
import { registerScan } from './commands/scan.js';
import { registerStatus } from './commands/status.js';
import { registerReceipt } from './commands/receipt.js';
import { registerWatch } from './commands/watch.js';
import { registerVerify } from './commands/verify.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const wantsJson = process.argv.includes('--json');

/** Prints an error the way every command does: one line, or one JSON object with --json. */
function reportError(message: string, code: number): void {
  if (wantsJson) process.stdout.write(jsonText({ ok: false, error: message, results: [] }));
  process.stderr.write(`restorable: ${printable(message)}\n`);
  process.exitCode = code;
}

const program = new Command('restorable')
  .description('Would this backup restore? Verify backups against their manifests and block maps, and find exactly where they are broken.')
  .version(pkg.version)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => (wantsJson ? undefined : write(text)) });

registerInspect(program);
registerVerify(program);
registerManifest(program);
registerBlocks(program);
registerDeep(program);
registerRestoreTest(program);
registerDrill(program);
registerSalvage(program);
registerScan(program);
registerWatch(program);
registerStatus(program);
registerReceipt(program);
registerLocations(program);
registerLedger(program);
registerHeal(program);
registerCompare(program);
registerDemo(program);
registerKeygen(program);
program.addHelpText(
  'after',
  `
Exit codes: 0 intact, 1 integrity problem found, 2 could not check, 130 interrupted.`,
);

/**
 * Runs the command line. `early`: signals that came while the program loaded
 * (bin/restorable.js counts them).
 */
export async function main(early = 0, earlyWorker?: Worker): Promise<void> {
  installInterrupts(early);
  if (earlyWorker) adoptEarlyWorker(earlyWorker);
  quietOnClosedOutput();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (isAbort(err, interruptSignal)) {
      process.exitCode = EXIT.interrupted;
    } else if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exitCode = EXIT.ok;
      else {
        if (wantsJson) reportError(err.message.replace(/^error: /, ''), EXIT.cannotCheck);
        process.exitCode = EXIT.cannotCheck;
      }
    } else if (err instanceof RestorableError) {
      reportError(err.message, err.exitCode);
    } else {
      const message = err instanceof Error ? err.message : String(err);
      reportError(`unexpected failure: ${message} (please report this; run with RESTORABLE_DEBUG=1 for details)`, EXIT.cannotCheck);
      if (process.env.RESTORABLE_DEBUG) console.error(err);
    }
  }
  process.exitCode = finalExitCode(Number(process.exitCode ?? 0));
  if (process.exitCode === EXIT.interrupted) reportInterrupted();
}

function reportInterrupted(): void {
  if (wantsJson) process.stdout.write(jsonText({ ok: false, error: 'interrupted', results: [] }));
  process.stderr.write('restorable: interrupted\n');
}

/**
 * A reader that stops early (`restorable verify DIR | head`) closes our
 * stdout: end quietly, as coreutils do, with the status a closed pipe gives
 * them (141 is what a shell shows; node cannot die of SIGPIPE itself).
 */
function quietOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(141);
      throw err;
    });
  }
}
