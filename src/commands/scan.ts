import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { CheckEvent, CheckResult } from '../core/events/types.js';
import type { Ledger } from '../core/schedule/ledger.js';
import type { AlertChannels } from '../core/report/alerts.js';
import { alertOptions, deliverAlerts, observedFrom, resolveChannels } from './alert-options.js';
import { durationArg, jsonOption, shardArg, sizeArg, stateDirOption } from './options.js';
import { problemResult, runJobs, warnIfFails, writeRunReceipt } from './runner.js';
import { openSession } from './session.js';
import { finishShard, openRunLedger } from './shards.js';
import { unvouched } from '../output/style.js';

/** The alert channels come as options too (--webhook, --pagerduty-key, --smtp…). */
export interface ScanFlags extends AlertChannels {
  tier: string;
  config?: string;
  stateDir?: string;
  createMissing?: boolean;
  maxBytes?: number;
  maxDuration?: number;
  shard?: { index: number; count: number };
  resultsFile?: boolean;
  metricsFile?: string;
  pushgateway?: string;
  json?: boolean;
  verbose?: boolean;
  receipt?: string;
  sign?: string;
}

export function registerScan(program: Command): void {
  scanOptions(
    program
      .command('scan')
      .description('run a verification tier over folders of backups, stalest first, and record the outcomes in the ledger')
      .argument('<dir...>', 'folders of backups'),
  )
    .action(async (dirs: string[], flags: ScanFlags) => {
      process.exitCode = await runScan(dirs, flags);
    });
}

/** .integrity_results.json in each folder, in the layout existing scripts read. */
async function writeResultsFiles(results: CheckResult[]): Promise<void> {
  const { updateResultsFile } = await import('../core/manifest/results-file.js');
  const byFolder = new Map<string, CheckResult[]>();
  for (const r of results) byFolder.set(dirname(r.file), [...(byFolder.get(dirname(r.file)) ?? []), r]);
  for (const [folder, list] of byFolder) {
    await updateResultsFile(
      folder,
      list.map((r) => ({
        file: basename(r.file),
        checked_at: r.checkedAt,
        size: r.size ?? 0,
        status: r.status,
        hash: r.digests?.sha256?.actual,
        expected_hash: r.digests?.sha256?.expected,
        expected_size: r.expectedSize,
      })),
    );
  }
}

/**
 * Backups known in these folders (from their manifests or from the ledger)
 * whose file is gone: a backup that vanished must be as loud as a damaged one.
 */
async function vanished(dirs: string[], present: Map<string, unknown>, targets: { file: string }[], ledger: Ledger): Promise<string[]> {
  const folders = new Set(dirs.map((d) => resolve(d)));
  const known = new Set([...targets.map((t) => t.file), ...ledger.all().map(([file]) => file)].filter((f) => folders.has(dirname(f)) && !present.has(f)));
  const gone: string[] = [];
  for (const file of known) if (!(await stat(file).catch(() => undefined))) gone.push(file);
  return gone;
}

/** A backup only the ledger remembers (its manifests went with it). */
async function* missingFromLedger(file: string, ledger: Ledger): AsyncGenerator<CheckEvent, CheckResult> {
  const last = ledger.latest(file);
  const result: CheckResult = {
    file,
    status: 'missing',
    findings: [{ severity: 'error', message: `${file}: missing (last checked ${last?.at ?? 'at an unknown time'}, ${last?.size ?? '?'} bytes, by this ledger: ${ledger.file})` }],
    manifests: [],
    checks: ['quick'],
    checkedAt: new Date().toISOString(),
    durationMs: 0,
  };
  yield { type: 'result', result };
  return result;
}

/** A drill tier's options, resolved once for the scan: whom the servers run as, the expectations, the ledger's last drills. */
async function drillSetup(tier: import('../core/schedule/config.js').Tier, ledger: Ledger, signal: AbortSignal) {
  const { resolveRunAs } = await import('../core/drill/run-as.js');
  const { readExpectations } = await import('../core/drill/expectations.js');
  const { drillOptionsFor, rememberDrill, isDumpName } = await import('../core/drill/ledger-drills.js');
  const runAs = await resolveRunAs(tier.run_as);
  const expect = tier.expect ? await readExpectations(tier.expect) : undefined;
  const maxDrop = tier.max_drop_percent === undefined ? undefined : tier.max_drop_percent / 100;
  return {
    isDump: isDumpName,
    optionsFor: drillOptionsFor(ledger, { runAs, tempDir: tier.temp_dir, expect, maxDrop, signal }),
    remember: (r: CheckResult) => rememberDrill(ledger, r),
  };
}

/** The options of `scan`, which `watch` takes too. */
export function scanOptions(command: Command): Command {
  return alertOptions(command)
    .option('--tier <name>', 'hourly (sizes of the newest 5), daily (hashes of the last 7 days), weekly (blocks of a 10% sample), monthly (restore of the oldest and newest), or one from --config', 'daily')
    .option('--config <file>', 'tiers, patterns and the state folder, in JSON or YAML')
    .addOption(stateDirOption())
    .option('--create-missing', 'write a manifest for a backup that has none (trust on first use)')
    .option('--max-bytes <size>', 'check at most this many bytes of backups this run', sizeArg)
    .option('--max-duration <time>', 'start no new check after this long (e.g. 15m)', durationArg)
    .option('--shard <i/n>', 'check only the I-th of N parts, for N runners in parallel sharing the state folder: each writes a ledger segment of its own; the last to finish merges them and decides the alerts once', shardArg)
    .option('--results-file', 'also write .integrity_results.json in each backup folder')
    .option('--metrics-file <path>', 'write Prometheus metrics for node_exporter\'s textfile collector (atomically)')
    .option('--pushgateway <url>', 'push Prometheus metrics to a Pushgateway')
    .option('--receipt <file>', 'write a verification receipt: what was checked, how, and what was found (for auditors)')
    .option('--sign <key>', 'sign the receipt with this minisign secret key: RECEIPT.minisig, checked with minisign -V or restorable receipt verify')
    .option('-v, --verbose', 'show hints as well as problems')
    .addOption(jsonOption());
}

/** One scan of one tier: the work of `scan`, and of each round of `watch`. Returns the exit code. */
export async function runScan(dirs: string[], flags: ScanFlags): Promise<number> {
  const { loadConfig } = await import('../core/schedule/config.js');
  const { acquireScanLock, defaultStateDir, shardSegment } = await import('../core/schedule/ledger.js');
  const { inLightOf } = await import('../core/schedule/strength.js');
  const { listCandidates, selectForTier, shardOf } = await import('../core/schedule/select.js');
  const { runTierCheck } = await import('../core/schedule/run-check.js');
  const config = await loadConfig(flags.config);
  const tier = config.tiers[flags.tier];
  if (!tier) throw new UsageError(`no tier "${flags.tier}" (known: ${Object.keys(config.tiers).join(', ')})`);
  const stateDir = flags.stateDir ?? config.stateDir ?? defaultStateDir();
  // A key that cannot sign is a usage error, found before anything is checked.
  const signer = flags.sign ? await (await import('../core/signing/keys.js')).loadSecretKey(resolve(flags.sign)) : undefined;
  const ledger = await openRunLedger(stateDir, flags.shard);
  const release = await acquireScanLock(stateDir, flags.shard && shardSegment(flags.shard));
  const session = openSession({ warm: tier.check === 'blocks' ? Infinity : 1 });
  try {
    const listed = await listCandidates(dirs, config.patterns);
    const problems = listed.problems;
    // A drill tier picks among dumps, and knows whom its servers run as before anything starts.
    const drills = tier.check === 'drill' ? await drillSetup(tier, ledger, session.signal) : undefined;
    const candidates = drills ? listed.candidates.filter((c) => drills.isDump(c.name)) : listed.candidates;
    const chosen = selectForTier(candidates, tier, ledger, { maxBytes: flags.maxBytes, shard: flags.shard });
    const bySize = new Map(candidates.map((c) => [c.file, c]));
    const started = Date.now();
    const done: CheckResult[] = [];
    const ctx = { pool: session.pool, signal: session.signal };
    // Every manifest of the folders, read once: what each backup is checked against, and
    // which backups they (or the ledger) know of that are gone.
    const { discover } = await import('../core/manifest/discover.js');
    const folders = [...new Set(candidates.map((c) => c.folder))];
    const found = folders.length ? await discover(folders) : { targets: [], problems: [] };
    const targets = new Map(found.targets.map((t) => [t.file, t]));
    // Each runner of a sharded scan reports the vanished backups of its own shard only.
    const gone = (await vanished(dirs, bySize, found.targets, ledger)).filter((f) => !flags.shard || shardOf(f, flags.shard.count) === flags.shard.index);
    // A manifest that cannot be read matters to this run when it is a chosen backup's sidecar or a folder-wide list.
    const { isChecksumList, sidecarNames } = await import('../core/manifest/names.js');
    const relevant = new Set(chosen.flatMap((c) => sidecarNames(c.name).map((n) => join(c.folder, n))));
    const manifestProblems = found.problems.filter((p) => relevant.has(p.file) || isChecksumList(basename(p.file)));
    const jobs = chosen.map((c) => ({ file: c.file, run: () => runTierCheck(c.file, tier.check, ctx, { createMissing: flags.createMissing, target: targets.get(c.file) ?? { file: c.file, expectations: [], locators: [] }, drill: drills?.optionsFor(c.file) }) }));
    // A backup that vanished is reported by every tier: it is the first thing to know.
    for (const file of gone) {
      const target = targets.get(file);
      jobs.push({ file, run: target?.expectations.length ? () => runTierCheck(file, 'quick', ctx, { target }) : () => missingFromLedger(file, ledger) });
    }
    const code = await runJobs(jobs, flags, {
      leading: [...problems, ...manifestProblems].map(problemResult),
      nothingFound: candidates.length ? `0 of ${candidates.length} backups chosen by tier ${flags.tier} in ${dirs.join(', ')}` : `0 backups found in ${dirs.join(', ')} (patterns: ${config.patterns.join(' ')})`,
      stopWhen: () => flags.maxDuration !== undefined && Date.now() - started > flags.maxDuration * 1000,
      onResult: async (r) => {
        const c = bySize.get(r.file);
        ledger.record(r.file, r.status === 'missing' ? 'quick' : tier.check, { status: r.status, size: r.size ?? c?.size ?? 0, mtimeMs: c?.mtimeMs ?? 0, detail: r.findings.find((f) => f.severity === 'error')?.message, vouched: !unvouched(r) });
        drills?.remember(r);
        await ledger.saveBatched();
        inLightOf(r, ledger.state(r.file));
        done.push(r);
      },
    });
    await ledger.flush();
    // Alerts first: a results or metrics file that cannot be written (a read-only backup
    // folder, a missing textfile folder) is a warning, and never keeps an alert from going out
    // or changes what the exit code says was found.
    // A shard leaves the alerts to the merge of every shard's segment (finishShard).
    if (flags.shard) await finishShard(ledger, stateDir, flags.shard, resolveChannels(flags, config.raw));
    else await deliverAlerts(stateDir, await observedFrom(done, ledger), resolveChannels(flags, config.raw));
    if (flags.resultsFile) await warnIfFails('the results file was not written', () => writeResultsFiles(done));
    if (flags.metricsFile || flags.pushgateway) {
      const { pushMetrics, scanMetrics, writeMetricsFile } = await import('../core/report/metrics.js');
      const { readAlertState, acknowledged } = await import('../core/report/alert-state.js');
      const alerts = await readAlertState(stateDir);
      const acked = new Set(Object.entries(alerts.failing).filter(([, f]) => acknowledged(f)).map(([key]) => key));
      const registry = await scanMetrics({ stateDir, tier: flags.tier, check: tier.check, results: done, candidates, ledger, durationSeconds: (Date.now() - started) / 1000, periodHours: tier.period_hours, acknowledged: acked });
      if (flags.metricsFile) await warnIfFails('the metrics file was not written', () => writeMetricsFile(flags.metricsFile!, registry));
      if (flags.pushgateway) await warnIfFails('the metrics were not pushed', () => pushMetrics(flags.pushgateway!, registry, flags.tier));
    }
    if (flags.receipt) await writeRunReceipt(flags.receipt, signer, new Date(started), code, done);
    return code;
  } finally {
    // What was recorded before an interruption or a failure is kept.
    await ledger.flush();
    await session.close();
    await release();
  }
}
