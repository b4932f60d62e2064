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
