import { relative, isAbsolute } from 'node:path';

/** Human sizes in binary units: 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  if (Number.isInteger(value)) return `${value} ${units[unit]}`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${units[unit]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(Math.round(bytesPerSec))}/s`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A path as the user would type it: relative to the working folder when inside it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path.replace(/\?.*$/, ''); // an object in a bucket (the endpoint is in --json)
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Parses "1MiB", "64K", "4 MB", "1048576" into bytes (binary units for K/M/G). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not a size (examples: 1MiB, 64K, 4096)`);
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Number(m[1]) * 1024 ** power;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`"${text}" is not a positive whole number of bytes`);
  return bytes;
}

/** A byte budget: a size, or 0 (nothing at all), which parseSize refuses as a size. */
export function parseBudget(text: string): number {
  return text.trim() === '0' ? 0 : parseSize(text);
}

/**
 * Text cut to `width` characters in the middle when longer: a name keeps its
 * start and, longer, its end (the date and the extension tell backups apart).
 */
export function cutMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  const head = Math.floor((width - 1) * 0.4);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

/**
 * Text from outside (file and member names, link targets, manifest contents,
 * a server's error message) made safe to print on a terminal: control
 * characters, C0 and C1 (ESC, CSI, NUL…), become "?", so no name can move
 * the cursor, recolour the screen or hide a line.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Every string inside `value` made printable (a result before it is rendered as text). */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map(printableDeep) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printableDeep(v)])) as T;
  }
  return value;
}

/**
 * The one JSON document a command prints. JSON.stringify escapes C0
 * controls but not DEL, the C1 controls (U+009B is a CSI to some
 * terminals) or the line separators: escaped here too, so `--json` piped to
 * a terminal can do it no harm, and the document still parses the same.
 */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
