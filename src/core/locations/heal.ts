import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { RestorableError, fsError } from '../errors.js';
import { makeTempDir, trackTempFile } from '../temp-paths.js';
import type { CheckEvent, CheckResult, Finding, Region } from '../events/types.js';
import { ProgressMeter } from '../hash/progress.js';
import { sha256Hex } from '../hash/hasher.js';
import type { Expectation } from '../manifest/model.js';
import { LocalLocation } from '../storage/local-location.js';
import type { Location } from '../storage/location.js';
import { OK, regionsOf } from '../checks/blocks.js';
import { compareDigests, digestsToCompute, expectedDigests } from '../checks/compare.js';
import { CopyDigester } from './copy-digester.js';
import type { ReadContext } from './read-copy.js';

/**
 * Repairs a damaged copy from a healthy one: the damaged copy is read once
 * into a new file beside it, only the blocks that do not match the block map
 * are fetched from the healthy copy (ranged reads), each is checked against
 * the map before it is written, and the result is verified whole. The
 * damaged copy is left as it is unless `replace` is asked for.
 */

export interface HealRequest {
  key: string;
  expectations: Expectation[];
  target: Location;
  source: Location;
  /** swap the repaired file in (local) or upload it over the object (bucket) */
  replace?: boolean;
  /** where to keep the repaired file (default: beside a local copy; required for a bucket copy unless `replace`) */
  out?: string;
}

export interface HealOutcome {
  result: CheckResult;
  healedBlocks: number;
  fetchedBytes: number;
  /** where the repaired file is (undefined after an upload with replace) */
  repaired?: string;
}

export async function* healCopy(req: HealRequest, ctx: ReadContext): AsyncGenerator<CheckEvent, HealOutcome> {
  const map = req.expectations.find((e) => e.blockMap)?.blockMap;
  const file = req.target.describe(req.key);
  if (!map) throw new RestorableError(`${file}: no block map (NAME.blocks.json), so the damage cannot be located block by block; make one with \`restorable manifest --blocks\` while a copy is good, or find the damage with \`restorable compare\` against another copy`);
  const step = (id: string, title: string, state: 'running' | 'ok' | 'failed', detail?: string): CheckEvent => ({ type: 'step', file, id, title, state, detail });
  const local = req.target instanceof LocalLocation ? req.target.pathOf(req.key) : undefined;
  if (!local && !req.out && !req.replace) throw new RestorableError(`${file}: give --out PATH to keep the repaired file, or --replace to upload it over the damaged object`);
  // A relative --out is taken from the working folder, as the user typed it.
  const final = req.out ? resolve(req.out) : local ? `${local}.healed` : undefined;
  if (final && !(req.replace && !req.out) && (await stat(final).then(() => true, () => false))) throw new RestorableError(`${final}: already exists; remove it or give --out`);
  const workDir = final ? undefined : await makeTempDir('restorable-heal-');
  const temp = join(workDir?.path ?? dirname(final!), `.${basename(req.key)}.${process.pid}.heal.tmp`);
  const untrack = trackTempFile(temp);
  const started = Date.now();
  let handle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (err) {
    throw fsError(err, temp);
  }
  let keep = false;
  try {
    // 1. The damaged copy, read once into the new file, each block checked on the way.
    yield step('read', `reading ${file}`, 'running');
    const digester = await CopyDigester.create({ algorithms: [], blockMap: map });
    const meter = new ProgressMeter(map.file_size, undefined);
    let written = 0;
    let last = 0;
    for await (const chunk of req.target.read(req.key, { signal: ctx.signal })) {
      digester.update(chunk);
      const keepBytes = Math.max(0, Math.min(chunk.length, map.file_size - written));
      if (keepBytes > 0) await handle.write(chunk, 0, keepBytes, written);
      written += keepBytes;
      if (performance.now() - last > (ctx.progressIntervalMs ?? 100)) {
        last = performance.now();
        yield { type: 'progress', file, phase: 'read', ...meter.snapshot(written) };
      }
    }
    const scan = digester.finish();
    const bad = [...scan.blockStates!.keys()].filter((i) => scan.blockStates![i] !== OK);
    const regions = regionsOf(map, scan.blockStates!, scan.bytes);
    yield step('read', `reading ${file}`, 'ok', bad.length ? `${bad.length} bad block${bad.length === 1 ? '' : 's'} in ${regions.length} region${regions.length === 1 ? '' : 's'}` : 'every block matches');
    if (bad.length === 0 && scan.bytes === map.file_size) {
      return { result: outcome('verified', [{ severity: 'info', message: 'nothing to heal: every block matches the block map' }], []), healedBlocks: 0, fetchedBytes: 0 };
    }

    // 2. Only the bad blocks, from the healthy copy, each checked before it is written.
    const from = req.source.describe(req.key);
    yield step('fetch', `fetching ${bad.length} block${bad.length === 1 ? '' : 's'} from ${req.source.name}`, 'running');
    const fetchMeter = new ProgressMeter(bad.reduce((n, i) => n + map.blocks[i]!.size, 0), undefined);
    let fetched = 0;
    const refused: number[] = [];
    for (const i of bad) {
      const b = map.blocks[i]!;
      const bytes = await req.source.readRange(req.key, b.offset, b.size, { signal: ctx.signal });
      fetched += bytes.length;
      if (bytes.length !== b.size || sha256Hex(bytes) !== b.hash) {
        refused.push(i);
        continue;
      }
      await handle.write(bytes, 0, bytes.length, b.offset);
      yield { type: 'progress', file, phase: 'read', ...fetchMeter.snapshot(fetched) };
    }
    if (refused.length) {
      yield step('fetch', `fetching from ${req.source.name}`, 'failed', `${refused.length} block${refused.length === 1 ? '' : 's'} bad there too`);
      throw new HealError(`${from}: block${refused.length === 1 ? '' : 's'} ${refused.slice(0, 10).join(', ')}${refused.length > 10 ? '…' : ''} do not match the block map in this copy either; heal from another location (--from)`);
    }
    yield step('fetch', `fetching from ${req.source.name}`, 'ok', `${bad.length} blocks, ${fetched} bytes`);
    await handle.truncate(map.file_size);
    await handle.sync();
    await handle.close();
    handle = undefined;

    // 3. The repaired file, verified whole: every block and every digest the manifests give.
    yield step('verify', 'verifying the repaired file', 'running');
    const check = new LocalLocation('repaired', dirname(temp));
    const expected = expectedDigests(req.expectations);
    const verifier = await CopyDigester.create({ algorithms: digestsToCompute(expected), blockMap: map });
    for await (const chunk of check.read(basename(temp), { signal: ctx.signal })) verifier.update(chunk);
    const v = verifier.finish();
    const cmp = compareDigests(expected, v.digests);
    if (!cmp.allOk || v.blockStates!.some((s) => s !== OK) || v.bytes !== map.file_size) {
      yield step('verify', 'verifying the repaired file', 'failed');
      throw new HealError(`${file}: the repaired file does not verify (${cmp.findings[0]?.message ?? 'blocks still differ from the map'}); nothing was kept`);
    }
    yield step('verify', 'verifying the repaired file', 'ok', Object.keys(v.digests).join(', ') || 'blocks');

    // 4. Keep it beside the damaged copy, swap it in, or upload it.
    const findings: Finding[] = [{ severity: 'info', message: `healed ${bad.length} block${bad.length === 1 ? '' : 's'} (${fetched} bytes) from ${from}` }];
    let repaired: string | undefined;
    if (local && req.replace && !req.out) {
      yield step('replace', `replacing ${local}`, 'running');
      await swapIn(temp, local);
      findings.push({ severity: 'info', message: `replaced ${local}; the damaged copy is kept as ${local}.damaged` });
      repaired = local;
      yield step('replace', `replacing ${local}`, 'ok');
    } else {
      if (final) {
        await rename(temp, final).catch((err: unknown) => {
          throw fsError(err, final);
        });
        repaired = final;
        findings.push({ severity: 'info', message: `repaired file: ${final}` });
      }
      if (req.replace && !local) {
        yield step('upload', `uploading to ${file}`, 'running');
        await req.target.upload(req.key, final ?? temp, { signal: ctx.signal });
        const after = await req.target.stat(req.key, { signal: ctx.signal });
        if (!after || after.size !== map.file_size) throw new HealError(`${file}: after the upload the object is ${after ? `${after.size} bytes` : 'missing'}, expected ${map.file_size}`);
        findings.push({ severity: 'info', message: `uploaded over ${file}` });
        yield step('upload', `uploading to ${file}`, 'ok');
      }
    }
    keep = true;
    return { result: outcome('verified', findings, regions), healedBlocks: bad.length, fetchedBytes: fetched, repaired };
  } finally {
    await handle?.close().catch(() => {});
    if (!keep || !final) await unlink(temp).catch(() => {});
    untrack();
    await workDir?.remove();
  }

  function outcome(status: 'verified', findings: Finding[], regions: Region[]): CheckResult {
    return { file, status, size: map!.file_size, expectedSize: map!.file_size, regions, blockSize: map!.block_size, findings, manifests: [], checks: ['locations'], checkedAt: new Date().toISOString(), durationMs: Date.now() - started };
  }
}

/** Puts a repaired file in place of a damaged one, which is kept beside it as NAME.damaged; returns that name. */
export async function swapIn(repaired: string, path: string): Promise<string> {
  const damaged = `${path}.damaged`;
  await rename(path, damaged).catch((err: unknown) => {
    throw fsError(err, path);
  });
  await rename(repaired, path).catch(async (err: unknown) => {
    await rename(damaged, path).catch(() => {});
    throw fsError(err, path);
  });
  return damaged;
}

/** A heal that could not produce a verified file: an integrity problem (exit 1), not a usage error. */
export class HealError extends RestorableError {
  constructor(message: string) {
    super(message, 1);
  }
}
