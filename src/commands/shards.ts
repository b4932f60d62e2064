import type { AlertChannels } from '../core/report/alerts.js';
import type { Ledger } from '../core/schedule/ledger.js';
import { deliverAlerts, observedInLedger } from './alert-options.js';

export type Shard = { index: number; count: number };

/**
 * The end of a sharded run: its segment is saved; the last of the N shards
 * to finish folds every segment into one ledger and makes the one alert
 * decision for all of them (the others send nothing, so nothing is alerted
 * twice). Returns which segments were merged, or which shards it waits for.
 */
export async function finishShard(ledger: Ledger, stateDir: string, shard: Shard, channels: AlertChannels): Promise<MergeOutcome> {
  // Written even when the shard checked nothing: the merge waits for every shard's segment.
  await ledger.save();
  return mergeAndAlert(stateDir, shard.count, channels);
}

export type MergeOutcome = { merged: string[]; waitingFor: string[] };

/**
 * Folds the ledger segments into one ledger (with `shards`, only once all
 * N are there) and, when it merged any, decides the alerts from the merged
 * ledger: what the last shard does, and `restorable ledger merge`.
 */
export async function mergeAndAlert(stateDir: string, shards: number | undefined, channels: AlertChannels): Promise<MergeOutcome> {
  const { Ledger } = await import('../core/schedule/ledger.js');
  const { merged, waitingFor, ledger } = await Ledger.mergeSegments(stateDir, shards);
  if (ledger) await deliverAlerts(stateDir, observedInLedger(ledger), channels);
  return { merged, waitingFor };
}

/** The ledger a run writes: its shard's own segment, or the shared ledger. */
export async function openRunLedger(stateDir: string, shard: Shard | undefined) {
  const { Ledger, shardSegment } = await import('../core/schedule/ledger.js');
  return Ledger.open(stateDir, shard ? { create: true, segment: shardSegment(shard) } : { create: true });
}
