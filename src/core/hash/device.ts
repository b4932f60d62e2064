import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Whether a file lies on a spinning disk, as the kernel says in
 * /sys/block/…/queue/rotational. There, readers side by side make the head
 * seek between them (restic #4537, b3sum on HDD): a file is read in its
 * physical order by one reader at a time, with hashing in parallel behind
 * it. Anything unknown (not Linux, a network filesystem, no sysfs) counts
 * as not rotational, where parallel reads are the faster choice.
 */
export function onRotationalDisk(path: string, sys = '/sys'): boolean {
  try {
    const { dev } = statSync(path);
    // Linux encodes the device number with the major in bits 8-19 and the minor in bits 0-7 and 20-31.
    const major = (dev >> 8) & 0xfff;
    const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    return rotationalFlag(join(sys, 'dev', 'block', `${major}:${minor}`));
  } catch {
    return false;
  }
}

/** The flag of a block device's sysfs folder; a partition has it in its disk's folder, one up. */
function rotationalFlag(deviceDir: string): boolean {
  const dir = realpathSync(deviceDir);
  for (const candidate of [dir, dirname(dir)]) {
    try {
      return readFileSync(join(candidate, 'queue', 'rotational'), 'utf8').trim() === '1';
    } catch {
      // not here: try the disk a partition belongs to
    }
  }
  return false;
}
