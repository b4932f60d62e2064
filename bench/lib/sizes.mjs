// Sizes: parsing the user's (1GiB, 64M, 1048576) and printing them, as a file
// name label (1GiB) and for people (1.00 GiB).

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** An option's value is wrong: reported as `bench: MESSAGE (see --help)`, exit code 2. */
export class UsageError extends Error {}

export function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(String(text));
  if (!m) throw new UsageError(`not a size: ${JSON.stringify(text)} (try 1GiB, 64M, 1048576)`);
  const mult = { '': 1, k: KiB, m: MiB, g: GiB, t: 1024 * GiB }[m[2].toLowerCase()];
  const bytes = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`size too large: ${text}`);
  return bytes;
}

/** The shortest exact label: 1GiB, 32MiB, 1000B. */
export function sizeLabel(bytes) {
  for (const [unit, n] of [['TiB', 1024 * GiB], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]]) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return `${bytes}B`;
}

/** Three significant digits: 1.00 GiB, 32.0 MiB, 512 B. */
export function human(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}
