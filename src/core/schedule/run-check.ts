import { DEFAULT_BLOCK_SIZE, createManifests } from '../checks/create.js';
import type { CheckContext } from '../checks/context.js';
import { verifyTarget } from '../checks/verify.js';
import type { CheckEvent, CheckResult } from '../events/types.js';
import { discover, type Target } from '../manifest/discover.js';
import type { CheckName } from './config.js';
import type { DrillOptions } from '../drill/drill.js';

/**
 * One tier check of one backup, as an event stream. With `createMissing`, a
 * backup that has no manifest gets one (trust on first use, reported as
 * manifest_created); without it, it is reported as having none.
 */
export async function* runTierCheck(file: string, check: CheckName, ctx: CheckContext, opts: { createMissing?: boolean; target?: Target; drill?: DrillOptions } = {}): AsyncGenerator<CheckEvent, CheckResult> {
  if (check === 'deep') {
    const { deepCheck } = await import('../checks/deep.js');
    return yield* deepCheck(file, { signal: ctx.signal });
  }
  if (check === 'drill') {
    const { drill } = await import('../drill/drill.js');
    if (!opts.drill) throw new Error('a drill tier runs with its drill options');
    return yield* drill(file, { ...opts.drill, signal: ctx.signal });
  }
  if (check === 'restore') {
    const { restoreTest } = await import('../checks/restore.js');
    return yield* restoreTest(file, { signal: ctx.signal });
  }
  // A scan discovers each folder's manifests once and passes the target in (per file, a folder-wide list was read again for every backup).
  const target = opts.target ?? (await discover([file])).targets.find((t) => t.file === file) ?? { file, expectations: [], locators: [] };
  if (target.expectations.length === 0 && opts.createMissing) {
    return yield* createManifests(file, ctx, { algorithms: ['sha256'], blockSize: DEFAULT_BLOCK_SIZE });
  }
  return yield* verifyTarget(target, ctx, { quick: check === 'quick', blocks: check === 'blocks' });
}
