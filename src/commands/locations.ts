import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { CheckEvent, CheckResult } from '../core/events/types.js';
import type { CopyPlace } from '../core/locations/check-copies.js';
import type { References, ReferencedBackup } from '../core/locations/references.js';
import type { AlertChannels } from '../core/report/alerts.js';
import { LocalLocation } from '../core/storage/local-location.js';
import type { Location } from '../core/storage/location.js';
import type { AtRestChecksum } from '../core/locations/checksum-report.js';
import { printable } from '../output/format.js';
import { alertOptions, deliverAlerts, lockObserved, observedFrom, resolveChannels, storageObserved } from './alert-options.js';
import { fractionArg, locationOptions, openLocations, openManifestLocation, resolveLocationFlags, type LocationFlags } from './location-options.js';
import { budgetArg, jsonOption, listArg, positiveArg, shardArg, stateDirOption, threadsArg } from './options.js';
import { finishShard, openRunLedger, type Shard } from './shards.js';
import { problemUnderTrust, runJobs, untrustedResult, warnIfFails, writeRunReceipt } from './runner.js';
import { openSession } from './session.js';

export interface LocationsFlags extends LocationFlags, AlertChannels {
  quick?: boolean;
  full?: boolean;
  sample?: number;
  maxEgress?: number;
  recentDays?: number;
  limit?: number;
  all?: boolean;
  stateDir?: string;
  json?: boolean;
  verbose?: boolean;
  trust?: string[];
  metricsFile?: string;
  receipt?: string;
  sign?: string;
  pushgateway?: string;
  shard?: Shard;
  concurrency?: number;
  checksumReport?: string[];
}

export function registerLocations(program: Command): void {
  alertOptions(
    locationOptions(
      program
        .command('locations')
        .description('check each backup\'s copies in every storage location: exists, size, checksum; sampled blocks by ranged reads')
        .argument('[path...]', 'backups or folders of backups on this machine, with their manifests (a copy each)'),
    ),
  )
    .option('--quick', 'exists and size only (one request per copy)')
    .option('--full', 'read every copy in full (downloads everything)')
    .option('--sample <share>', 'read this share of the blocks of every copy by ranged requests, even one its provider\'s checksum vouches for (default: 10%, only where no checksum can)', fractionArg)
    .option('--max-egress <size>', 'download at most SIZE from each bucket location this run (full reads and samples); copies beyond it are deferred, and samples carry their coverage to the next run; 0 for none', budgetArg)
    .option('--recent-days <n>', 'check backups newer than N days (default 30; backups named on the command line always)', positiveArg)
    .option('--limit <n>', 'check at most N backups, newest first (default 100)', positiveArg)
    .option('--all', 'no age window and no limit')
    .option('--checksum-report <file>', 'the completion report (CSV) of an S3 Batch Operations "Compute checksum" job: copies it covers are judged by the checksum S3 recomputed at rest, with nothing downloaded (repeatable)', listArg)
    .option('--concurrency <n>', 'backups checked at once (default 16); each bucket location also takes at most 16 requests at a time', threadsArg)
    .option('--shard <i/n>', 'check only the I-th of N parts of the backups, for N runners sharing the state folder: each writes a ledger segment; the last to finish merges them and decides the alerts once', shardArg)
    .addOption(stateDirOption())
    .option('--metrics-file <path>', 'write Prometheus metrics (one series per copy) for node_exporter\'s textfile collector')
    .option('--receipt <file>', 'write a verification receipt: each copy, the evidence it was judged on, coverage, what was found')
    .option('--sign <key>', 'sign the receipt with this minisign secret key (RECEIPT.minisig)')
    .option('--pushgateway <url>', 'push the metrics to a Pushgateway (grouped as tier="locations")')
    .option('--trust <key.pub>', 'every manifest must carry a valid signature by this key (repeatable); one that does not is reported as tampered', listArg)
    .option('-v, --verbose', 'show how each copy was judged')
    .addOption(jsonOption())
    .action(async (paths: string[], flags: LocationsFlags) => {
      process.exitCode = await runLocations(paths, flags);
    });
}

export async function runLocations(paths: string[], flags: LocationsFlags): Promise<number> {
  const { specs, config, raw } = await resolveLocationFlags(flags);
  const manifestUri = flags.manifestLocation ?? config.manifestLocation;
  if (paths.length === 0 && !manifestUri) throw new UsageError('name the backups: PATH... on this machine, or --manifest-location where their manifests are');
  if (specs.length === 0 && paths.length === 0) throw new UsageError('no storage location: add --location NAME=URI (or a `locations` section in --config)');
  const locations = await openLocations(specs);
  const session = openSession({ warm: 0 });
  const { defaultStateDir } = await import('../core/schedule/ledger.js');
  const { inLightOf } = await import('../core/schedule/strength.js');
  const stateDir = flags.stateDir ?? defaultStateDir();
  const ledger = await openRunLedger(stateDir, flags.shard);
  let refs: References | undefined;
  const started = Date.now();
  const signer = flags.sign ? await (await import('../core/signing/keys.js')).loadSecretKey(resolve(flags.sign)) : undefined;
  try {
    refs = await loadReferences(paths, manifestUri, session.signal);
    const { shardOf } = await import('../core/schedule/select.js');
    const mine = flags.shard ? refs.backups.filter((b) => shardOf(b.ref.key, flags.shard!.count) === flags.shard!.index) : refs.backups;
    const chosen = choose(mine, { days: flags.all ? Infinity : (flags.recentDays ?? config.recentDays), limit: flags.all ? Infinity : (flags.limit ?? config.limit) });
    const { checkCopiesRecorded } = await import('../core/locations/recorded.js');
    const { expectedIn } = await import('../core/locations/config.js');
    const done: CheckResult[] = [];
    const trust = flags.trust ? await (await import('../core/signing/trust.js')).loadTrustedKeys(flags.trust.map((f) => resolve(f))) : undefined;
    const display = refs.display;
    const atRest = await loadChecksumReports(flags.checksumReport);
    const maxEgress = flags.maxEgress ?? config.maxEgress;
    const egress = maxEgress !== undefined ? new (await import('../core/locations/egress.js')).EgressBudget(maxEgress) : undefined;
    const jobs = chosen.map((b) => ({
      file: b.ref.key,
      run: async function* (): AsyncGenerator<CheckEvent, void> {
        if (trust) {
          // A manifest that is not genuine must not judge any copy.
          const untrusted = await untrustedResult(b.ref.key, b.ref.expectations, trust, display);
          if (untrusted) return void (yield { type: 'result', result: { ...untrusted, checks: ['locations'] } });
        }
        const places: CopyPlace[] = placesFor(b, locations).map((location) => ({ location, expected: expectedIn(config.rules, b.ref.key, location.name), lock: config.objectLock[location.name] }));
        const out = yield* checkCopiesRecorded(b.ref, places, ledger, { quick: flags.quick, full: flags.full, sample: flags.sample, defaultSample: config.sample, egress, atRest, signal: session.signal, display });
        for (const result of out.results) yield { type: 'result', result };
      },
    }));
    const code = await runJobs(jobs, flags, {
      // Checks of copies wait on the network: many at once, reported in order.
      concurrency: flags.concurrency ?? 16,
      leading: await Promise.all(refs.problems.map((p) => problemUnderTrust(p, trust))),
      onResult: async (r) => {
        if (r.copy) {
          await ledger.saveBatched();
          inLightOf(r, ledger.copyState(r.copy.backup, r.copy.location));
        }
        done.push(r);
      },
    });
    // A shard leaves the alerts to the merge of every shard's segment.
    if (flags.shard) await finishShard(ledger, stateDir, flags.shard, resolveChannels(flags, raw));
    else await deliverAlerts(stateDir, [...(await observedFrom(done, ledger)), ...(await storageObserved(done)), ...lockObserved(done)], resolveChannels(flags, raw));
    if (flags.metricsFile || flags.pushgateway) {
      const { locationMetrics } = await import('../core/report/location-metrics.js');
      const { pushMetrics, writeMetricsFile } = await import('../core/report/metrics.js');
      const registry = locationMetrics(ledger, done, (Date.now() - started) / 1000);
      if (flags.metricsFile) await warnIfFails('the metrics file was not written', () => writeMetricsFile(flags.metricsFile!, registry));
      if (flags.pushgateway) await warnIfFails('the metrics were not pushed', () => pushMetrics(flags.pushgateway!, registry, 'locations'));
    }
    if (flags.receipt) await writeRunReceipt(flags.receipt, signer, new Date(started), code, done);
    return code;
  } finally {
    // What was recorded before an interruption or a failure is kept.
    await ledger.flush();
    await refs?.cleanup();
    for (const l of locations) l.close();
    await session.close();
  }
}

/**
 * The S3 Batch Operations reports given, as one lookup by "s3://bucket/key".
 * Rows the job failed or that cannot be read are warned about once, here.
 */
async function loadChecksumReports(files: string[] | undefined): Promise<((where: string) => { checksum: AtRestChecksum; at: Date } | undefined) | undefined> {
  if (!files?.length) return undefined;
  const { readChecksumReport } = await import('../core/locations/checksum-report.js');
  const byObject = new Map<string, { checksum: AtRestChecksum; at: Date }>();
  for (const file of files.map((f) => resolve(f))) {
    const report = await readChecksumReport(file);
    for (const [where, checksum] of report.objects) byObject.set(where, { checksum, at: report.at });
    for (const p of report.problems.slice(0, 20)) process.stderr.write(`restorable: warning: ${printable(file)}: ${printable(p)}\n`);
    if (report.problems.length > 20) process.stderr.write(`restorable: warning: ${printable(file)}: and ${report.problems.length - 20} more rows not used\n`);
  }
  // A copy under a prefix is named s3://bucket/prefix/key, as the report names the object.
  return (where) => byObject.get(where);
}

async function loadReferences(paths: string[], manifestUri: string | undefined, signal: AbortSignal): Promise<References> {
  const { referencesFromManifestLocation, referencesFromPaths } = await import('../core/locations/references.js');
  const manifests = await openManifestLocation(manifestUri);
  if (!manifests) return referencesFromPaths(paths);
  try {
    const refs = await referencesFromManifestLocation(manifests, { signal });
    // PATH folders, when given with a manifest location, hold local copies (not manifests).
    if (paths.length > 1) throw new UsageError('with --manifest-location, give at most one folder of local copies');
    for (const b of refs.backups) if (paths[0]) b.localRoot = resolve(paths[0]);
    return refs;
  } finally {
    manifests.close();
  }
}

/** Named backups always; the rest newest first, inside the window, up to the limit. */
function choose(backups: ReferencedBackup[], opts: { days: number; limit: number }): ReferencedBackup[] {
  const cutoff = Date.now() - opts.days * 86_400_000;
  const recent = backups.filter((b) => !b.explicit && (b.time === 0 || b.time >= cutoff)).sort((a, b) => b.time - a.time);
  return [...backups.filter((b) => b.explicit), ...recent.slice(0, opts.limit)];
}

/** The backup's own folder (as location "local", unless a configured location is that folder) and every configured one. */
function placesFor(b: ReferencedBackup, locations: Location[]): Location[] {
  if (!b.localRoot || locations.some((l) => l.kind === 'local' && l.display === b.localRoot)) return locations;
  return [localLocation(b.localRoot), ...locations.filter((l) => l.name !== 'local')];
}

/** One "local" location per folder of PATH arguments. */
const localCache = new Map<string, Location>();
function localLocation(root: string): Location {
  let l = localCache.get(root);
  if (!l) localCache.set(root, (l = new LocalLocation('local', root)));
  return l;
}
