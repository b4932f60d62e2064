import { openBackup } from '../hash/file-identity.js';

const CHUNK = 1024 * 1024;
/** Zero bytes in a row that count as a hole, not as a value that happens to be 0. */
export const ZERO_RUN = 32;

/**
 * The first offset in [from, to) where `needle` starts, or where a run of
 * at least ZERO_RUN zero bytes starts ('zeros'); undefined if none. Reads
 * forward a MiB at a time, so a search through a GiB block needs no more
 * memory than that.
 */
export async function findBytes(file: string, needle: Uint8Array | 'zeros', from: number, to: number, signal?: AbortSignal): Promise<number | undefined> {
  const pattern = needle === 'zeros' ? new Uint8Array(ZERO_RUN) : needle;
  if (pattern.length === 0 || to - from < pattern.length) return undefined;
  const handle = await openBackup(file);
  try {
    const buf = Buffer.alloc(CHUNK + pattern.length - 1);
    for (let at = from; at < to; at += CHUNK) {
      signal?.throwIfAborted();
      const want = Math.min(buf.length, to - at);
      const { bytesRead } = await handle.read(buf, 0, want, at);
      if (bytesRead < pattern.length) return undefined;
      const hit = buf.subarray(0, bytesRead).indexOf(pattern);
      if (hit >= 0 && hit < CHUNK) return at + hit;
      if (bytesRead < want) return undefined;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** The next run of at least ZERO_RUN zero bytes in [from, to), and its whole length (up to `to`). */
export async function findZeroRun(file: string, from: number, to: number, signal?: AbortSignal): Promise<{ at: number; length: number } | undefined> {
  const at = await findBytes(file, 'zeros', from, to, signal);
  if (at === undefined) return undefined;
  const handle = await openBackup(file);
  try {
    const buf = Buffer.alloc(CHUNK);
    for (let end = at; end < to; end += CHUNK) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buf, 0, Math.min(CHUNK, to - end), end);
      const nonZero = buf.subarray(0, bytesRead).findIndex((b) => b !== 0);
      if (nonZero >= 0) return { at, length: end + nonZero - at };
      if (bytesRead === 0) return { at, length: end - at };
    }
    return { at, length: to - at };
  } finally {
    await handle.close();
  }
}

/** Reads `length` bytes at `offset` of another copy of the file (a folder or a bucket). */
export type RangeReader = (offset: number, length: number) => Promise<Buffer>;

/**
 * The first offset in [from, to) where the file and another copy of it
 * differ, and how many bytes differ from there on (up to the end of that
 * chunk); where one ends before the other, that is a difference too.
 * Reads both a MiB at a time.
 */
export async function findDifference(file: string, other: RangeReader, from: number, to: number, signal?: AbortSignal): Promise<{ at: number; length: number } | undefined> {
  const handle = await openBackup(file);
  try {
    const mine = Buffer.alloc(CHUNK);
    for (let at = from; at < to; at += CHUNK) {
      signal?.throwIfAborted();
      const want = Math.min(CHUNK, to - at);
      const [{ bytesRead }, theirs] = await Promise.all([handle.read(mine, 0, want, at), other(at, want)]);
      const a = mine.subarray(0, bytesRead);
      if (a.equals(theirs)) {
        if (bytesRead < want) return undefined; // both end here
        continue;
      }
      let i = 0;
      while (i < a.length && i < theirs.length && a[i] === theirs[i]) i++;
      let j = i;
      while (j < Math.max(a.length, theirs.length) && a[j] !== theirs[j]) j++;
      return { at: at + i, length: j - i };
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * What a person types to search for: hex bytes ("de ad be ef", "00ff"),
 * or text; text that looks like hex goes in quotes ("cafe").
 */
export function parseNeedle(text: string): Uint8Array | undefined {
  const quoted = /^"(.*)"?$/.exec(text);
  if (quoted) return quoted[1] ? Buffer.from(quoted[1], 'utf8') : undefined;
  const hex = text.replace(/\s+/g, '');
  if (/^(?:[0-9a-f]{2})+$/i.test(hex)) return Buffer.from(hex, 'hex');
  return text ? Buffer.from(text, 'utf8') : undefined;
}
