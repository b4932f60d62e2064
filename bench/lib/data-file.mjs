// The deterministic test files: created once (AES-128-CTR keystream of a fixed
// key) and reused while their size is right; read once to warm the page cache.
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync, statSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { checkInterrupted, cleanups } from './interrupt.mjs';
import { MiB, human, sizeLabel } from './sizes.mjs';
import { log } from './text.mjs';

const CHUNK = 8 * MiB; // generation and cache-warming reads

/** The test file of SIZE bytes, relative to the bench folder: bench-1GiB.bin. */
export const dataFileName = (size) => `bench-${sizeLabel(size)}.bin`;

/** Deterministic pseudo-random bytes: the AES-128-CTR keystream of a fixed key, from offset 0. */
function keystream() {
  const key = createHash('sha256').update('restorable bench v1').digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

function freeBytes(dir) {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return Infinity;
  }
}

/** Creates PATH with `size` deterministic bytes (via PATH.partial + rename), unless it exists with that size. */
export async function ensureDataFile(path, size) {
  try {
    const st = statSync(path);
    if (st.isFile() && st.size === size) return false;
    if (!st.isFile()) throw new Error(`${path} exists and is not a file`);
    log(`  ${basename(path)} has ${st.size} bytes, expected ${size}; recreating it`);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const existing = existsSync(path) ? statSync(path).size : 0;
  const free = freeBytes(dirname(path));
  if (size - existing > free - 256 * MiB) {
    throw new Error(`not enough free space in ${dirname(path)} for ${basename(path)} (${human(size)} needed, ${human(free)} free)`);
  }
  const partial = `${path}.partial`;
  const cleanup = () => rmSync(partial, { force: true });
  cleanups.add(cleanup);
  log(`  creating ${basename(path)} (${human(size)}, AES-CTR keystream)…`);
  const cipher = keystream();
  const zeros = Buffer.alloc(CHUNK);
  const fh = await open(partial, 'w');
  try {
    let done = 0;
    while (done < size) {
      checkInterrupted();
      const n = Math.min(CHUNK, size - done);
      const data = cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n));
      let off = 0;
      while (off < n) off += (await fh.write(data, off, n - off, done + off)).bytesWritten;
      done += n;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  renameSync(partial, path);
  cleanups.delete(cleanup);
  return true;
}

/** Reads the file once (warming the page cache) and returns its sha256. */
export async function readAndHash(path) {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const fh = await open(path, 'r');
  try {
    let pos = 0;
    for (;;) {
      checkInterrupted();
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}
