// The two-core limit of a hashing command, measured in this process on
// bytes already in memory (no I/O, no start-up): each digest the command
// computes is timed alone over `bytes`, and two cores can at best share
// them out evenly, while a digest of the whole file runs on one core from
// start to end. The limit is the larger of the longest digest and half the
// total.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { REPO } from './paths.mjs';
import { stopwatch } from './timing.mjs';

const require = createRequire(`${REPO}/package.json`);
const PIECE = 1024 * 1024;

/** Seconds to run `feed` over `bytes` of an in-memory buffer, in 1 MiB pieces. */
function over(bytes, buffer, make) {
  const h = make();
  const elapsed = stopwatch();
  for (let done = 0; done < bytes; done += PIECE) {
    const at = done % buffer.length;
    h.update(buffer.subarray(at, at + PIECE));
  }
  h.finish?.();
  return elapsed();
}

const DIGESTS = {
  'sha256 of the file': () => {
    const h = createHash('sha256');
    return { update: (b) => h.update(b), finish: () => h.digest() };
  },
  'sha256 of each 1 MiB block': () => ({ update: (b) => createHash('sha256').update(b).digest() }),
  crc64nvme: () => {
    const { createCRC64 } = require('hash-wasm');
    let h;
    const ready = createCRC64('9a6c9329ac4bc9b5').then((x) => (h = x, h.init()));
    return { ready, update: (b) => h.update(b), finish: () => h.digest() };
  },
  crc32c: () => {
    const { crc32c } = require('@node-rs/crc32');
    let c = 0;
    return { update: (b) => (c = crc32c(b, c)) };
  },
};

/** The work of `blocks` (its whole-file sha256 and every block's) and of `manifest --blocks` (that, and the CRCs). */
export const LIMIT_WORK = {
  blocks: ['sha256 of the file', 'sha256 of each 1 MiB block'],
  manifest: ['sha256 of the file', 'sha256 of each 1 MiB block', 'crc64nvme', 'crc32c'],
};

/** The two-core limit for `work`, in seconds, over `bytes`. */
export async function twoCoreLimit(work, bytes) {
  const buffer = Buffer.alloc(64 * PIECE);
  for (let i = 0; i < buffer.length; i += 4096) buffer.writeUInt32LE(i * 2654435761 >>> 0, i);
  const times = [];
  for (const name of LIMIT_WORK[work]) {
    const make = DIGESTS[name];
    // The WebAssembly engine loads asynchronously: ready before the clock starts.
    const probe = make();
    await probe.ready;
    times.push(over(bytes, buffer, () => probe));
  }
  const total = times.reduce((a, b) => a + b, 0);
  return Math.max(Math.max(...times), total / 2);
}
