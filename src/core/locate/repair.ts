import { constants } from 'node:fs';
import { copyFile, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { RestorableError, fsError } from '../errors.js';
import { trackTempFile } from '../temp-paths.js';
import type { CopySide } from './copy-side.js';
import type { Algorithm } from '../hash/algorithms.js';
import { LocalLocation } from '../storage/local-location.js';
import { CopyDigester } from '../locations/copy-digester.js';
import type { LocateReport } from './locate.js';
import { swapIn } from '../locations/heal.js';

export interface RepairOutcome {
  /** the copy repaired (its index in the comparison) */
  side: number;
  /** the repaired file */
  path: string;
  /** the damaged copy, when it was swapped out */
  damaged?: string;
  regions: number;
  fetchedBytes: number;
}

/**
 * Writes a repaired file for a damaged copy on this machine: its own bytes,
 * with every region where it differs from the right copy taken from the right
 * copy, cut or grown to the right copy's size, then read whole and accepted
 * only if its digests are the right copy's (and the manifests'). The damaged
 * copy is left as it is unless `replace`.
 */
export async function repairFromCopy(report: LocateReport, sides: CopySide[], damaged: number, opts: { out?: string; replace?: boolean; signal?: AbortSignal }): Promise<RepairOutcome> {
  const right = report.right;
  const target = sides[damaged]!;
  if (right === undefined) throw new RestorableError('no copy is known to be right, so none can be repaired (a manifest with the backup\'s digest, or a third copy, would say which)');
  if (!target.path) throw new RestorableError(`${target.name}: only a copy on this machine can be repaired here; run the comparison on the machine that holds it`);
  const final = opts.out ? resolve(opts.out) : opts.replace ? target.path : `${target.path}.healed`;
  if (!opts.replace && (await stat(final).then(() => true, () => false))) throw new RestorableError(`${final}: already exists; remove it or give --out`);
  const temp = join(dirname(final), `.${basename(target.path)}.${process.pid}.repair.tmp`);
  const untrack = trackTempFile(temp);
  let kept = false;
  try {
    await copyFile(target.path, temp, constants.COPYFILE_FICLONE).catch((err: unknown) => {
      throw fsError(err, temp);
    });
    const handle = await open(temp, 'r+').catch((err: unknown) => {
      throw fsError(err, temp);
    });
    let fetched = 0;
    let patched = 0;
    const rightSize = report.copies[right]!.size;
    try {
      for (const r of report.regions) {
        if (r.groups[damaged] === r.groups[right]) continue;
        const length = Math.max(0, Math.min(r.length, rightSize - r.offset));
        if (length > 0) {
          const bytes = await sides[right]!.read(r.offset, length);
          if (bytes.length !== length) throw new RestorableError(`${sides[right]!.name}: gave ${bytes.length} bytes at ${r.offset}, ${length} were asked for`);
          await handle.write(bytes, 0, bytes.length, r.offset);
          fetched += bytes.length;
        }
        patched++;
      }
      await handle.truncate(rightSize);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Accepted only when the whole file is the right copy: every digest it was compared by.
    // Whole-file digests only, as heal checks its result: no leaf tree is needed here.
    const want = report.copies[right]!.digests;
    const digester = await CopyDigester.create({ algorithms: Object.keys(want) as Algorithm[] });
    for await (const chunk of new LocalLocation('repaired', dirname(temp)).read(basename(temp), { signal: opts.signal })) digester.update(chunk);
    const check = digester.finish();
    const wrong = Object.entries(want).find(([a, v]) => check.digests[a as Algorithm] !== v);
    if (wrong || check.bytes !== rightSize) throw new RestorableError(`${final}: the repaired file is not the right copy (${wrong ? `${wrong[0]} differs` : `${check.bytes} bytes`}); nothing was kept`, 1);
    let damagedKept: string | undefined;
    if (opts.replace && !opts.out) damagedKept = await swapIn(temp, target.path);
    else
      await rename(temp, final).catch((err: unknown) => {
        throw fsError(err, final);
      });
    kept = true;
    return { side: damaged, path: final, damaged: damagedKept, regions: patched, fetchedBytes: fetched };
  } finally {
    if (!kept) await unlink(temp).catch(() => {});
    untrack();
  }
}
