import { throwIfAborted } from '../errors.js';
import { eventChannel } from '../events/channel.js';
import type { BadBlock, BlockState, CheckEvent, Finding, Region } from '../events/types.js';
import { parallelBlockDigests, type BlockChunk } from '../hash/block-digests.js';
import { openBackup } from '../hash/file-identity.js';
import { sha256Hex } from '../hash/hasher.js';
import { ProgressMeter, type Progress } from '../hash/progress.js';
import { streamDigest } from '../hash/stream-digest.js';
import type { BlockMap } from '../manifest/model.js';
import type { CheckContext } from './context.js';

export interface BlocksOutcome {
  actualSize: number;
  regions: Region[];
  badBlocks: BadBlock[];
  /** how many bad blocks there are in all (badBlocks is capped) */
  badBlockCount: number;
  changed?: string;
  /** the whole file's sha256, when asked for (withFileHash) */
  fileSha256?: string;
}

/** At most this many bad blocks are re-read and listed one by one. */
export const MAX_LISTED_BAD_BLOCKS = 4096;

/** Block states as stored in a Uint8Array per map (0: not read). */
export const OK = 1, CORRUPT = 2, MISSING = 3, UNREADABLE = 4, TRANSIENT = 5;
const STATE_NAMES: Record<number, BlockState> = { [OK]: 'ok', [CORRUPT]: 'corrupt', [MISSING]: 'missing', [UNREADABLE]: 'unreadable', [TRANSIENT]: 'transient' };

/**
 * The `blocks` check: every block of `file` against the block map, hashed in
 * parallel; bad blocks re-read once (confirmed or transient) and grouped
 * into regions with exact byte ranges.
 */
export async function* blocksCheck(file: string, map: BlockMap, ctx: CheckContext, opts: { withFileHash?: boolean } = {}): AsyncGenerator<CheckEvent, BlocksOutcome> {
  const states = new Uint8Array(map.total_blocks);
  const firstRead = new Map<number, string>();
  yield { type: 'blockmap', file, totalBlocks: map.total_blocks, blockSize: map.block_size, fileSize: map.file_size };

  const run = yield* eventChannel<CheckEvent, { actualSize: number; changed?: string; fileSha256?: string }>((emit) => {
    const onChunk = (chunk: BlockChunk) => {
      classifyChunk(map, chunk, states, firstRead);
      for (const ev of runsOf(states, chunk.firstBlock, chunk.firstBlock + chunk.blockCount)) void emit({ type: 'block', file, ...ev });
    };
    const onProgress = (p: Progress) => void emit({ type: 'progress', file, phase: 'blocks', ...p });
    if (!opts.withFileHash) {
      return parallelBlockDigests(ctx.pool, file, { blockSize: map.block_size, limit: map.file_size, signal: ctx.signal, progressIntervalMs: ctx.progressIntervalMs, onProgress, onChunk });
    }
    // The whole file's sha256 and every block's in one read (the map's file_hash is checked too):
    // for a file of the map's size, so every block read is whole.
    return streamDigest(ctx.pool, file, {
      algorithms: ['sha256'],
      blockSize: map.block_size,
      signal: ctx.signal,
      progressIntervalMs: ctx.progressIntervalMs,
      onProgress,
      onBlocks: (first, digests) => {
        const blockCount = Math.max(0, Math.min(digests.length, map.total_blocks - first));
        onChunk({ firstBlock: first, digests: digests.slice(0, blockCount), lastBlockBytes: map.block_size, blockCount });
      },
    }).then((r) => ({ actualSize: r.bytes, changed: r.changed, fileSha256: r.digests.sha256 }));
  });

  // The map's blocks the file no longer reaches (a truncated file, or a file gone empty).
  for (let i = 0; i < states.length; i++) if (states[i] === 0) states[i] = MISSING;

  const corrupt = [...firstRead.keys()].filter((i) => states[i] === CORRUPT).sort((a, b) => a - b);
  if (corrupt.length > 0) {
    const title = `re-reading ${corrupt.length} bad block${corrupt.length === 1 ? '' : 's'}`;
    // Waits until the consumer has seen this step: the second read happens after it.
    yield { type: 'step', file, id: 'reread', title, state: 'running' };
    const transient = yield* reread(file, map, corrupt.slice(0, MAX_LISTED_BAD_BLOCKS), firstRead, ctx);
    for (const i of transient) {
      states[i] = TRANSIENT;
      yield { type: 'block', file, index: i, count: 1, state: 'transient' };
    }
    yield { type: 'step', file, id: 'reread', title, state: 'ok', detail: `${corrupt.length - transient.length} confirmed, ${transient.length} transient` };
  }

  const regions = regionsOf(map, states, run.actualSize);
  const badBlocks: BadBlock[] = [];
  let badBlockCount = 0;
  states.forEach((s, i) => {
    if (s === OK) return;
    badBlockCount++;
    if (badBlocks.length >= MAX_LISTED_BAD_BLOCKS) return;
    const b = map.blocks[i]!;
    badBlocks.push({ index: i, offset: b.offset, size: b.size, state: STATE_NAMES[s]!, expected: b.hash, actual: firstRead.get(i) });
  });
  return { actualSize: run.actualSize, regions, badBlocks, badBlockCount, changed: run.changed, fileSha256: run.fileSha256 };
}

function classifyChunk(map: BlockMap, chunk: BlockChunk, states: Uint8Array, firstRead: Map<number, string>): void {
  for (let k = 0; k < chunk.blockCount; k++) {
    const i = chunk.firstBlock + k;
    const block = map.blocks[i]!;
    if (chunk.readError) {
      states[i] = UNREADABLE;
      continue;
    }
    const digest = chunk.digests[k];
    if (digest === undefined) {
      states[i] = MISSING;
      continue;
    }
    const short = k === chunk.digests.length - 1 && chunk.lastBlockBytes < block.size;
    if (short) states[i] = MISSING;
    else if (digest === block.hash) states[i] = OK;
    else {
      states[i] = CORRUPT;
      firstRead.set(i, digest);
    }
  }
}

/** Runs of equal state in [from, to), as block events. */
function runsOf(states: Uint8Array, from: number, to: number): { index: number; count: number; state: BlockState }[] {
  const out: { index: number; count: number; state: BlockState }[] = [];
  for (let i = from; i < to; ) {
    let j = i + 1;
    while (j < to && states[j] === states[i]) j++;
    out.push({ index: i, count: j - i, state: STATE_NAMES[states[i]!] ?? 'missing' });
    i = j;
  }
  return out;
}

async function* reread(file: string, map: BlockMap, blocks: number[], firstRead: Map<number, string>, ctx: CheckContext): AsyncGenerator<CheckEvent, number[]> {
  const transient: number[] = [];
  const handle = await openBackup(file);
  try {
    const buf = Buffer.allocUnsafe(map.block_size);
    const total = blocks.reduce((sum, i) => sum + map.blocks[i]!.size, 0);
    const meter = new ProgressMeter(total, undefined);
    let done = 0;
    let lastYield = 0;
    for (const i of blocks) {
      throwIfAborted(ctx.signal);
      const b = map.blocks[i]!;
      let got = 0;
      try {
        while (got < b.size) {
          const { bytesRead } = await handle.read(buf, got, b.size - got, b.offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } catch {
        transient.push(i); // readable before, unreadable now: the device is not stable
        continue;
      }
      if (sha256Hex(buf.subarray(0, got)) !== firstRead.get(i)) transient.push(i);
      done += b.size;
      if (performance.now() - lastYield > (ctx.progressIntervalMs ?? 100)) {
        lastYield = performance.now();
        yield { type: 'progress', file, phase: 'reread', ...meter.snapshot(done) };
      }
    }
    yield { type: 'progress', file, phase: 'reread', ...meter.snapshot(total) };
  } finally {
    await handle.close();
  }
  return transient;
}

/** Consecutive blocks in the same bad state, with exact byte ranges; a longer file adds an `extra` region. */
export function regionsOf(map: BlockMap, states: Uint8Array, actualSize: number): Region[] {
  const regions: Region[] = [];
  for (let i = 0; i < states.length; ) {
    const s = states[i]!;
    let j = i + 1;
    while (j < states.length && states[j] === s) j++;
    if (s !== OK) {
      const first = map.blocks[i]!;
      const last = map.blocks[j - 1]!;
      const end = last.offset + last.size;
      if (s === MISSING) {
        const offset = Math.max(first.offset, Math.min(actualSize, end));
        regions.push({ kind: 'missing', firstBlock: i, lastBlock: j - 1, offset, length: end - offset });
      } else if (s === UNREADABLE) {
        regions.push({ kind: 'unreadable', firstBlock: i, lastBlock: j - 1, offset: first.offset, length: end - first.offset });
      } else {
        regions.push({ kind: 'corrupt', firstBlock: i, lastBlock: j - 1, offset: first.offset, length: end - first.offset, state: s === TRANSIENT ? 'transient' : 'confirmed' });
      }
    }
    i = j;
  }
  if (actualSize > map.file_size) {
    const firstExtra = map.total_blocks;
    regions.push({
      kind: 'extra',
      firstBlock: firstExtra,
      lastBlock: firstExtra + Math.ceil((actualSize - map.file_size) / map.block_size) - 1,
      offset: map.file_size,
      length: actualSize - map.file_size,
    });
  }
  return regions;
}

/** A damaged region as a finding: "corrupt (confirmed) region: block 7, bytes 7340032-8388607 (1048576 bytes)". */
export function regionFinding(r: Region): Finding {
  const blocks = r.firstBlock === r.lastBlock ? `block ${r.firstBlock}` : `blocks ${r.firstBlock}-${r.lastBlock}`;
  const what = r.kind === 'corrupt' ? `corrupt (${r.state ?? 'unconfirmed'})` : r.kind;
  const where = r.members?.length ? ` in ${r.members[0]}` : '';
  return { severity: 'error', message: `${what} region: ${blocks}, bytes ${r.offset}-${r.offset + r.length - 1} (${r.length} bytes)${where}`, offset: r.offset, member: r.members?.[0] };
}
