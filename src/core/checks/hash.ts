import type { CheckEvent } from '../events/types.js';
import { eventChannel } from '../events/channel.js';
import type { Algorithm } from '../hash/algorithms.js';
import { streamDigest, type StreamDigestResult } from '../hash/stream-digest.js';
import type { CheckContext } from './context.js';

/**
 * The `hash` check: every requested digest of `file` in one read. Yields
 * progress; returns the actual digests (comparison is the caller's).
 */
export async function* hashCheck(file: string, algorithms: Algorithm[], ctx: CheckContext, blockSize?: number): AsyncGenerator<CheckEvent, StreamDigestResult> {
  return yield* eventChannel<CheckEvent, StreamDigestResult>((emit) =>
    streamDigest(ctx.pool, file, {
      algorithms,
      blockSize,
      signal: ctx.signal,
      progressIntervalMs: ctx.progressIntervalMs,
      onProgress: (p) => void emit({ type: 'progress', file, phase: 'hash', ...p }),
      onBlocks: blockSize
        ? (index, digests) => void emit({ type: 'block', file, index, count: digests.length, state: 'ok' })
        : undefined,
    }),
  );
}
