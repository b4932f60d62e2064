import { createHash } from 'node:crypto';
import type { CheckEvent } from '../events/types.js';
import { ProgressMeter, PROGRESS_INTERVAL_MS } from '../hash/progress.js';
import type { BlockMap } from '../manifest/model.js';
import type { Location } from '../storage/location.js';
import { CORRUPT, OK } from '../checks/blocks.js';
import { CopyDigester, type CopyDigests, type DigestPlan } from './copy-digester.js';

/**
 * Reading a copy, whole or by samples, with progress events. Both work the
 * same on a local folder and on a bucket.
 */

export interface ReadContext {
  signal?: AbortSignal;
  progressIntervalMs?: number;
}

/** Streams the whole copy once through every digest of the plan. */
export async function* readWhole(location: Location, key: string, size: number, plan: DigestPlan, ctx: ReadContext): AsyncGenerator<CheckEvent, CopyDigests> {
  const file = location.describe(key);
  const digester = await CopyDigester.create(plan);
  const meter = new ProgressMeter(size, undefined);
  const interval = ctx.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
  let done = 0;
  let last = 0;
  for await (const chunk of location.read(key, { signal: ctx.signal })) {
    digester.update(chunk);
    done += chunk.length;
    if (performance.now() - last >= interval) {
      last = performance.now();
      yield { type: 'progress', file, phase: 'read', ...meter.snapshot(done) };
    }
  }
  yield { type: 'progress', file, phase: 'read', ...meter.snapshot(done) };
  return digester.finish();
}

export interface SampleOutcome {
  /** per block: 0 not read, OK or CORRUPT */
  states: Uint8Array;
  actual: Map<number, string>;
  bytesRead: number;
  blocksRead: number;
}

/** Sampled blocks in runs of adjacent ones, each one ranged request of at most `maxBytes`. */
export function rangesOf(map: BlockMap, blocks: number[], maxBytes = 8 * 1024 * 1024): { first: number; last: number }[] {
  const out: { first: number; last: number }[] = [];
  for (const i of blocks) {
    const run = out[out.length - 1];
    const fits = run && run.last === i - 1 && map.blocks[i]!.offset + map.blocks[i]!.size - map.blocks[run.first]!.offset <= maxBytes;
    if (fits) run.last = i;
    else out.push({ first: i, last: i });
  }
  return out;
}

/** Reads the chosen blocks by ranged requests (a few at a time) and checks each against the map. */
export async function* readSample(location: Location, key: string, map: BlockMap, blocks: number[], ctx: ReadContext): AsyncGenerator<CheckEvent, SampleOutcome> {
  const file = location.describe(key);
  const states = new Uint8Array(map.total_blocks);
  const actual = new Map<number, string>();
  const ranges = rangesOf(map, blocks);
  const total = blocks.reduce((sum, i) => sum + map.blocks[i]!.size, 0);
  const meter = new ProgressMeter(total, undefined);
  let bytesRead = 0;
  // Four ranged reads always in flight: a new one starts as each ends, so latency overlaps.
  const PARALLEL = 4;
  const inFlight = new Map<number, Promise<{ k: number; buf: Buffer }>>();
  const start = (k: number) => {
    const r = ranges[k]!;
    const first = map.blocks[r.first]!.offset;
    const end = map.blocks[r.last]!.offset + map.blocks[r.last]!.size;
    const read = location.readRange(key, first, end - first, { signal: ctx.signal }).then((buf) => ({ k, buf }));
    // The first failure ends the sample; the reads still in flight must not fail unheard.
    read.catch(() => {});
    inFlight.set(k, read);
  };
  let nextRange = 0;
  while (nextRange < ranges.length && inFlight.size < PARALLEL) start(nextRange++);
  while (inFlight.size > 0) {
    const { k, buf } = await Promise.race(inFlight.values());
    inFlight.delete(k);
    if (nextRange < ranges.length) start(nextRange++);
    const r = ranges[k]!;
    const base = map.blocks[r.first]!.offset;
    bytesRead += buf.length;
    for (let i = r.first; i <= r.last; i++) {
      const b = map.blocks[i]!;
      const digest = createHash('sha256').update(buf.subarray(b.offset - base, b.offset - base + b.size)).digest('hex');
      // A short read leaves the block shorter than the map says: corrupt here, told exactly by the size check.
      if (digest === b.hash) states[i] = OK;
      else {
        states[i] = CORRUPT;
        actual.set(i, digest);
      }
    }
    yield { type: 'progress', file, phase: 'read', ...meter.snapshot(bytesRead) };
  }
  return { states, actual, bytesRead, blocksRead: blocks.length };
}
