import { readFileSync, readdirSync } from 'node:fs';

/**
 * How much to read at a time so that the bytes are hashed while still in
 * the core's own (L2) cache: the read copies them from the page cache into
 * our buffer, and both must fit. A quarter of the L2 cache, from 64 KiB to
 * 256 KiB (128 KiB where the size cannot be read). Measured on the 2-core
 * reference machine (512 KiB of L2): 256 KiB reads spent three times the
 * kernel time of 128 KiB ones, and 1 GiB took 1.54 s against 1.17 s.
 */
export function readPieceSize(sys = '/sys/devices/system/cpu/cpu0/cache'): number {
  const fallback = 128 * 1024;
  try {
    for (const index of readdirSync(sys).filter((n) => n.startsWith('index'))) {
      if (readFileSync(`${sys}/${index}/level`, 'utf8').trim() !== '2') continue;
      const m = /^(\d+)([KM]?)$/.exec(readFileSync(`${sys}/${index}/size`, 'utf8').trim());
      if (!m) return fallback;
      const bytes = Number(m[1]) * (m[2] === 'M' ? 1024 * 1024 : m[2] === 'K' ? 1024 : 1);
      return Math.min(256 * 1024, Math.max(64 * 1024, 2 ** Math.floor(Math.log2(bytes / 4))));
    }
  } catch {
    // no sysfs (not Linux): the default
  }
  return fallback;
}
