#!/usr/bin/env node
// Baseline for `restorable manifest FILE --algo md5,sha256,sha512`: the naive
// way, one thread, one full read of the file per algorithm, one after another.
//
//   node bench/baselines/three-sequential.mjs FILE [--algos md5,sha256,sha512] [--chunk 4194304]
//
// Reads with a reused 4 MiB buffer (readSync at explicit positions) and hashes
// with node:crypto in the main thread. Prints one line per algorithm:
// `ALGO  HEX`.
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { forEachChunk } from '../lib/read-chunks.mjs';

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: node three-sequential.mjs FILE [--algos md5,sha256,sha512] [--chunk BYTES]\n',
  );
  process.exit(code);
}

const args = process.argv.slice(2);
let file;
let algos = ['md5', 'sha256', 'sha512'];
let chunk = 4 * 1024 * 1024;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--help' || a === '-h') usage(0);
  else if (a === '--algos') algos = String(args[++i] ?? '').split(',').filter(Boolean);
  else if (a === '--chunk') chunk = Number(args[++i]);
  else if (a.startsWith('-')) usage(2);
  else if (file === undefined) file = a;
  else usage(2);
}
if (!file || algos.length === 0 || !Number.isInteger(chunk) || chunk <= 0) usage(2);

const buf = Buffer.allocUnsafe(chunk);
const fd = openSync(file, 'r');
try {
  for (const algo of algos) {
    const hash = createHash(algo);
    forEachChunk(fd, buf, (bytes) => hash.update(bytes));
    process.stdout.write(`${algo}  ${hash.digest('hex')}\n`);
  }
} finally {
  closeSync(fd);
}
