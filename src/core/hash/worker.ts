/**
 * A hash worker thread. It owns no policy: it hashes what the engine points
 * it at and reports digests back. See protocol.ts for the messages.
 */
import { closeSync, openSync, readSync, constants } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { createHash, type Hash } from 'node:crypto';
import { createHasher, sha256Hex, type Hasher } from './hasher.js';
import { CONTROL_ABORT, CONTROL_NEXT_CHUNK, type FromWorker, type StreamTask, type ToWorker } from './protocol.js';
import type { Algorithm } from './algorithms.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

function post(msg: FromWorker): void {
  port!.postMessage(msg);
}

/** Splits a byte stream into fixed-size blocks and digests each. */
class BlockDigester {
  private hasher: Hash | undefined;
  private filled = 0;
  constructor(private readonly blockSize: number) {}

  feed(data: Uint8Array, out: string[]): void {
    let at = 0;
    while (at < data.length) {
      this.hasher ??= createHash('sha256');
      const take = Math.min(this.blockSize - this.filled, data.length - at);
      this.hasher.update(data.subarray(at, at + take));
      this.filled += take;
      at += take;
      if (this.filled === this.blockSize) {
        out.push(this.hasher.digest('hex'));
        this.hasher = undefined;
        this.filled = 0;
      }
    }
  }

  finish(): string[] {
    return this.hasher && this.filled > 0 ? [this.hasher.digest('hex')] : [];
  }
}

interface StreamJob {
  view: Uint8Array;
  slotSize: number;
  digesters: { algorithm: Algorithm; hasher: Hasher }[];
  blocks?: BlockDigester;
  ready: Promise<void>;
}

const streams = new Map<number, StreamJob>();

function startStream(job: number, ring: SharedArrayBuffer, slotSize: number, tasks: StreamTask[]): void {
  const entry: StreamJob = { view: new Uint8Array(ring), slotSize, digesters: [], ready: Promise.resolve() };
  entry.ready = (async () => {
    for (const task of tasks) {
      if (task.kind === 'digest') entry.digesters.push({ algorithm: task.algorithm, hasher: await createHasher(task.algorithm) });
      else entry.blocks = new BlockDigester(task.blockSize);
    }
  })();
  streams.set(job, entry);
}

async function onChunk(job: number, slot: number, length: number): Promise<void> {
  const entry = streams.get(job);
  if (!entry) return;
  await entry.ready;
  const data = entry.view.subarray(slot * entry.slotSize, slot * entry.slotSize + length);
  for (const d of entry.digesters) d.hasher.update(data);
  let blocks: string[] | undefined;
  if (entry.blocks) {
    blocks = [];
    entry.blocks.feed(data, blocks);
  }
  post({ type: 'chunk-done', job, slot, blocks });
}

async function endStream(job: number): Promise<void> {
  const entry = streams.get(job);
  if (!entry) return;
  await entry.ready;
  streams.delete(job);
  const digests: Partial<Record<Algorithm, string>> = {};
  for (const d of entry.digesters) digests[d.algorithm] = d.hasher.digestHex();
  post({ type: 'stream-result', job, digests, blocks: entry.blocks?.finish() });
}

function openReadOnly(path: string): number {
  // O_NOATIME keeps verification from touching access times; it is only
  // allowed for the file's owner, so fall back to a plain read-only open.
  const noatime = (constants as { O_NOATIME?: number }).O_NOATIME ?? 0;
  if (noatime) {
    try {
      return openSync(path, constants.O_RDONLY | noatime);
    } catch {
      /* fall through */
    }
  }
  return openSync(path, constants.O_RDONLY);
}

function readFull(fd: number, buf: Uint8Array, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function runBlocks(msg: Extract<ToWorker, { type: 'blocks-start' }>): void {
  const control = new Int32Array(msg.control);
  const buf = new Uint8Array(msg.chunkBytes);
  const fd = openReadOnly(msg.path);
  try {
    for (;;) {
      if (Atomics.load(control, CONTROL_ABORT) !== 0) break;
      const chunk = Atomics.add(control, CONTROL_NEXT_CHUNK, 1);
      const start = chunk * msg.chunkBytes;
      if (start >= msg.limit) break;
      const want = Math.min(msg.chunkBytes, msg.limit - start);
      let bytes: number;
      try {
        bytes = readFull(fd, buf, want, start);
      } catch (err) {
        post({ type: 'blocks-chunk', job: msg.job, chunk, digests: [], bytes: 0, readError: (err as NodeJS.ErrnoException).code ?? String(err) });
        continue;
      }
      const digests: string[] = [];
      for (let at = 0; at < bytes; at += msg.blockSize) {
        digests.push(sha256Hex(buf.subarray(at, Math.min(at + msg.blockSize, bytes))));
      }
      post({ type: 'blocks-chunk', job: msg.job, chunk, digests, bytes });
    }
  } finally {
    closeSync(fd);
  }
  post({ type: 'blocks-done', job: msg.job });
}

function fail(job: number, err: unknown): void {
  const e = err as NodeJS.ErrnoException;
  post({ type: 'error', job, message: e?.message ?? String(err), code: e?.code });
}

// Messages of one job are handled strictly in order: each waits for the previous.
let queue: Promise<void> = Promise.resolve();

port.on('message', (msg: ToWorker) => {
  queue = queue.then(async () => {
    try {
      switch (msg.type) {
        case 'stream-start':
          return startStream(msg.job, msg.ring, msg.slotSize, msg.tasks);
        case 'chunk':
          return await onChunk(msg.job, msg.slot, msg.length);
        case 'stream-end':
          return await endStream(msg.job);
        case 'blocks-start':
          return runBlocks(msg);
      }
    } catch (err) {
      streams.delete(msg.job);
      fail(msg.job, err);
    }
  });
});
