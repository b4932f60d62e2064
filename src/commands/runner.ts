import { AbortError, EXIT, RestorableError, isAbort, throwIfAborted } from '../core/errors.js';
import { interruptSignal } from './interrupt.js';
import type { CheckEvent, CheckResult } from '../core/events/types.js';
import type { DiscoveryProblem } from '../core/manifest/discover.js';
import type { Expectation } from '../core/manifest/model.js';
import { manifestFileKind } from '../core/manifest/names.js';
import type { TrustedKeys } from '../core/signing/trust.js';
import { basename } from 'node:path';
import { printable } from '../output/format.js';
import { ProgressBar } from '../output/progress-bar.js';
import { exitCodeFor, jsonReport, renderResult, renderSummary } from '../output/report.js';
import { colorEnabled, paint } from '../output/style.js';

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
}

export type Job = { file: string; run: () => AsyncGenerator<CheckEvent, unknown> };

/** A manifest or path that could not be read, as a result line of its own. */
export function problemResult(problem: DiscoveryProblem): CheckResult {
  return {
    file: problem.file,
    status: 'error',
    findings: [{ severity: 'error', message: problem.message }],
    manifests: [],
    checks: [],
    checkedAt: new Date().toISOString(),
    durationMs: 0,
  };
}

/** A manifest that could not be read is `tampered`, not merely malformed, when its signature fails too. */
export async function problemUnderTrust(problem: DiscoveryProblem, trust: TrustedKeys | undefined): Promise<CheckResult> {
  const result = problemResult(problem);
  if (!trust || !manifestFileKind(basename(problem.file))) return result;
  const { untrustedReason } = await import('../core/signing/trust.js');
  const untrusted = await untrustedReason(problem.file, trust);
  if (untrusted?.tampered) {
    result.status = 'tampered';
    result.findings.unshift({ severity: 'error', message: untrusted.message });
  }
  return result;
}

/**
 * When a manifest a check relies on is not validly signed by a trusted key:
 * the result that says so (tampered; error when a signature is unreadable),
 * which stands instead of judging the backup. Undefined when all are.
 */
export async function untrustedResult(file: string, expectations: Expectation[], trust: TrustedKeys, display: (path: string) => string): Promise<CheckResult | undefined> {
  const { checkManifestSignatures } = await import('../core/signing/trust.js');
  const checked = await checkManifestSignatures(expectations.map((e) => e.manifest), trust);
  if (!checked.status) return undefined;
  const manifests = [...new Map(expectations.map((e) => [e.manifest, { path: e.manifest, kind: e.kind }])).values()];
  const result: CheckResult = { file, status: checked.status, findings: checked.findings, manifests, signatures: checked.signatures, checks: [], checkedAt: new Date().toISOString(), durationMs: 0 };
  const { displayResult } = await import('../core/locations/references.js');
  return displayResult(result, display);
}

/**
 * Runs jobs one after another, drawing progress on stderr (when it is a
 * terminal) and printing each result as it completes. A job that fails to
 * run becomes an `error` result; the run goes on. Returns the exit code.
 */
export interface RunHooks {
  /** results to report before the jobs' (unreadable paths, malformed manifests) */
  leading?: CheckResult[];
  /** called with each job's result as it completes */
  onResult?: (result: CheckResult) => void | Promise<void>;
  /** checked before each job: true stops the run there (a time budget) */
  stopWhen?: () => boolean;
  /** what to say when there was nothing to check (default: "0 backups found") */
  nothingFound?: string;
  /**
   * Jobs run at once (default 1). Their results are still reported in job
   * order, so output and the ledger read the same as a run one at a time:
   * what waits on the network (HEADs, ranged reads at 50 ms each) overlaps.
   */
  concurrency?: number;
}

export async function runJobs(jobs: Job[], out: OutputOptions, hooks: RunHooks = {}): Promise<number> {
  const leading = hooks.leading ?? [];
  const p = paint(colorEnabled(process.stdout));
  const bar = process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
  const results: CheckResult[] = [];
  const print = (r: CheckResult) => {
    bar?.clear();
    if (!out.json) process.stdout.write(renderResult(r, p, out));
  };
  for (const r of leading) {
    results.push(r);
    print(r);
  }
  const report = async (result: CheckResult) => {
    results.push(result);
    await hooks.onResult?.(result);
    print(result);
  };
  // Each job's results, reported as they come once every job before it has
  // been reported whole: in job order, whatever order the jobs end in.
  const pending: CheckResult[][] = jobs.map(() => []);
  const reportedOf: number[] = jobs.map(() => 0);
  const finished: boolean[] = jobs.map(() => false);
  let reportedUpTo = 0;
  let next = 0;
  let stopped = false;
  const drain = async () => {
    while (reportedUpTo < jobs.length) {
      const list = pending[reportedUpTo]!;
      while (reportedOf[reportedUpTo]! < list.length) await report(list[reportedOf[reportedUpTo]!++]!);
      if (!finished[reportedUpTo]) break;
      reportedUpTo++;
    }
  };
  // One drain at a time: two jobs ending together must not report a result twice.
  let draining = Promise.resolve();
  const flush = () => (draining = draining.then(drain));
  const runOne = async (i: number) => {
    const job = jobs[i]!;
    // A job yields one result per file it checks (one per copy, for `locations`).
    try {
      for await (const event of job.run()) {
        if (event.type === 'result') {
          pending[i]!.push(event.result);
          await flush();
        } else bar?.onEvent(event);
      }
    } catch (err) {
      bar?.clear();
      if (isAbort(err, interruptSignal)) throw new AbortError();
      if (!(err instanceof RestorableError)) throw err;
      pending[i]!.push(problemResult({ file: job.file, message: err.message }));
    }
    finished[i] = true;
    await flush();
  };
  const worker = async () => {
    while (next < jobs.length && !stopped) {
      // Between jobs too: a scan over thousands of small backups stops at once.
      throwIfAborted(interruptSignal);
      if (hooks.stopWhen?.()) {
        stopped = true;
        break;
      }
      await runOne(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(hooks.concurrency ?? 1, jobs.length)) }, worker));
  bar?.clear();
  if (results.length === 0) {
    // Nothing checked is never "all intact": an empty, mistyped or unmounted folder must not pass.
    const message = `${hooks.nothingFound ?? '0 backups found'}: nothing was checked`;
    if (out.json) process.stdout.write(jsonReport(results, { error: message }));
    else process.stdout.write(`${p.yellow(`! ${printable(message)}`)}\n`);
    return EXIT.cannotCheck;
  }
  if (out.json) process.stdout.write(jsonReport(results));
  else if (results.length > 1 || results.some((r) => r.status !== 'verified' && r.status !== 'manifest_created')) {
    process.stdout.write(renderSummary(results, p));
  }
  return exitCodeFor(results);
}

/** Runs a write whose failure is worth a warning, not the run's verdict. */
export async function warnIfFails(what: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    process.stderr.write(`restorable: warning: ${what}: ${printable(err instanceof Error ? err.message : String(err))}\n`);
  }
}

/** The run's receipt (and its signature); a receipt that cannot be written is a warning, as a results file is. */
export async function writeRunReceipt(path: string, signer: import('../core/signing/keys.js').SecretKey | undefined, startedAt: Date, exitCode: number, results: CheckResult[]): Promise<void> {
  const { buildReceipt, writeReceipt } = await import('../core/report/receipt.js');
  const { toolVersion } = await import('../core/version.js');
  const receipt = buildReceipt({ version: toolVersion(), command: process.argv.slice(2), startedAt, exitCode, results });
  await warnIfFails('the receipt was not written', () => writeReceipt(path, receipt, signer));
}
