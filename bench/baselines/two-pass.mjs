#!/usr/bin/env node
// Baseline for `restorable manifest FILE --blocks`: the naive way, one thread,
// two full reads of the file.
//   pass 1: sha256 of the whole file
//   pass 2: sha256 of every block (1 MiB by default), as a block map needs
//
//   node bench/baselines/two-pass.mjs FILE [--block-size 1048576]
//
// Reads with a reused buffer of about 4 MiB (a whole number of blocks) at
// explicit positions and hashes with node:crypto in the main thread. Keeps
// the hex block digests in memory, as a block-map writer would, and prints
// `sha256  HEX`, `blocks  N` and `blocks-sha256  HEX` (sha256 over the
// newline-joined block digests, so the work cannot be skipped).
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { forEachChunk } from '../lib/read-chunks.mjs';

function usage(code) {
  (code ? process.stderr : process.stdout).write('usage: node two-pass.mjs FILE [--block-size BYTES]\n');
  process.exit(code);
}

const args = process.argv.slice(2);
let file;
let blockSize = 1024 * 1024;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--help' || a === '-h') usage(0);
  else if (a === '--block-size') blockSize = Number(args[++i]);
  else if (a.startsWith('-')) usage(2);
  else if (file === undefined) file = a;
  else usage(2);
}
if (!file || !Number.isInteger(blockSize) || blockSize <= 0) usage(2);

const READ = 4 * 1024 * 1024;
const chunk = Math.max(blockSize, Math.floor(READ / blockSize) * blockSize);
const buf = Buffer.allocUnsafe(chunk);
const fd = openSync(file, 'r');
try {
  // Pass 1: the whole file.
  const whole = createHash('sha256');
  forEachChunk(fd, buf, (bytes) => whole.update(bytes));

  // Pass 2: every block. A read returns whole blocks except at the end of the file.
  const blocks = [];
  forEachChunk(fd, buf, (bytes) => {
    for (let off = 0; off < bytes.length; off += blockSize) {
      blocks.push(createHash('sha256').update(bytes.subarray(off, Math.min(off + blockSize, bytes.length))).digest('hex'));
    }
  });

  process.stdout.write(`sha256  ${whole.digest('hex')}\n`);
  process.stdout.write(`blocks  ${blocks.length}\n`);
  process.stdout.write(`blocks-sha256  ${createHash('sha256').update(blocks.join('\n')).digest('hex')}\n`);
} finally {
  closeSync(fd);
}
