import { describeChange } from './file-identity.js';
import { PieceDigests } from './piece-digests.js';
import { createHasher, type Hasher } from './hasher.js';
import { STREAM, consumedIndex, type FromWorker, type StreamStart } from './protocol.js';
import { closeSync, fdIdentity, openReadOnlySync, pathIdentity, readFull } from './worker-io.js';
import type { Algorithm } from './algorithms.js';

/** How long a blocked wait lasts before re-checking the abort flag. */
const WAIT_MS = 50;

class Share {
  /** block digests completed since the last message, and the index of the first of them */
  private done: string[] = [];
  private first = 0;
  private readonly blocks: PieceDigests | undefined;

  constructor(
    private readonly hashers: { algorithm: Algorithm; hasher: Hasher }[],
    blockSize: number | undefined,
    private readonly post: (msg: FromWorker) => void,
    private readonly job: number,
  ) {
    this.blocks = blockSize ? new PieceDigests('sha256', blockSize, (d) => this.done.push(d.toString('hex'))) : undefined;
  }

  static async create(msg: StreamStart, post: (m: FromWorker) => void): Promise<Share> {
    const hashers = [];
    let blockSize: number | undefined;
    for (const t of msg.tasks) {
      if (t.kind === 'digest') hashers.push({ algorithm: t.algorithm, hasher: await createHasher(t.algorithm) });
      else blockSize = t.blockSize;
    }
    return new Share(hashers, blockSize, post, msg.job);
  }

  update(data: Uint8Array): void {
    for (const h of this.hashers) h.hasher.update(data);
    if (this.blocks) {
      this.blocks.update(data);
      this.postBlocks();
    }
  }

  /** The block digests completed since the last message, in order, in one message. */
  private postBlocks(): void {
    if (this.done.length === 0) return;
    this.post({ type: 'stream-blocks', job: this.job, first: this.first, digests: this.done });
    this.first += this.done.length;
    this.done = [];
  }

  finish(): Partial<Record<Algorithm, string>> {
    if (this.blocks) {
      this.blocks.finish();
      this.postBlocks();
    }
    const digests: Partial<Record<Algorithm, string>> = {};
    for (const h of this.hashers) digests[h.algorithm] = h.hasher.digestHex();
    return digests;
  }
}

/**
 * One worker's part of a single-read, many-digest job. The reader fills a
 * ring of shared slots from the file and hashes its share; followers hash
 * their share of every slot the reader published. A slot is reused only
 * when every follower is done with it.
 */
export async function runStream(msg: StreamStart, post: (m: FromWorker) => void): Promise<void> {
  const share = await Share.create(msg, post);
  const control = new Int32Array(msg.control);
  const ring = new Uint8Array(msg.ring);
  const slot = (i: number) => ring.subarray((i % msg.slots) * msg.slotSize, (i % msg.slots + 1) * msg.slotSize);
  const stopped = () => Atomics.load(control, STREAM.ABORT) !== 0 || Atomics.load(control, STREAM.FAILED) !== 0;
  // A waiting thread waits for a quarter of the ring (or more): waking it on
  // every slot cost a futex wake-up per 128 KiB, 0.4 s of a 1 GiB read here.
  // So progress is announced once a quarter, and at the end.
  const quarter = Math.max(1, Math.floor(msg.slots / 4));

  if (msg.role === 'follower') {
    const mine = consumedIndex(msg.slots, msg.consumer);
    for (let j = 0; ; j++) {
      // Caught up with the reader: wait until a quarter of the ring is ready
      // (or the file ended) rather than waking on every slot.
      let wantFilled = j + 1;
      for (;;) {
        if (stopped()) return;
        const total = Atomics.load(control, STREAM.TOTAL);
        if (total >= 0 && j >= total) {
          post({ type: 'stream-result', job: msg.job, digests: share.finish() });
          return;
        }
        const filled = Atomics.load(control, STREAM.FILLED);
        if (filled >= wantFilled || (total >= 0 && filled > j)) break;
        wantFilled = j + quarter;
        Atomics.wait(control, STREAM.FILLED, filled, WAIT_MS);
      }
      share.update(slot(j).subarray(0, Atomics.load(control, STREAM.LENGTHS + (j % msg.slots))));
      Atomics.store(control, mine, j + 1);
      if ((j + 1) % quarter === 0) Atomics.notify(control, mine);
    }
  }

  let fd: number;
  try {
    fd = openReadOnlySync(msg.path);
  } catch (err) {
    Atomics.store(control, STREAM.FAILED, 1);
    Atomics.notify(control, STREAM.FILLED);
    throw err;
  }
  // Reads go into memory of this thread's own: the kernel copies into a
  // SharedArrayBuffer several times slower (0.8 s against 0.25 s of system
  // time for 1 GiB here). Followers get a copy in the ring; alone, none is made.
  const scratch = new Uint8Array(msg.slotSize);
  try {
    const before = fdIdentity(fd);
    let position = 0;
    for (let i = 0; ; i++) {
      // Wait until every follower has finished with the slot we are about to
      // overwrite. Once blocked, wait for half the ring to drain, so the two
      // threads do not wake each other on every slot.
      for (let c = 1; c < msg.consumers; c++) {
        const idx = consumedIndex(msg.slots, c);
        if (Atomics.load(control, idx) > i - msg.slots) continue;
        const resumeAt = i - Math.floor(msg.slots / 2);
        for (let seen = Atomics.load(control, idx); seen <= resumeAt; seen = Atomics.load(control, idx)) {
          if (stopped()) return;
          Atomics.wait(control, idx, seen, WAIT_MS);
        }
      }
      if (stopped()) return;
      let n: number;
      try {
        n = readFull(fd, scratch, 0, msg.slotSize, position);
      } catch (err) {
        Atomics.store(control, STREAM.FAILED, 1);
        Atomics.notify(control, STREAM.FILLED);
        throw err;
      }
      if (msg.consumers > 1) slot(i).set(n === msg.slotSize ? scratch : scratch.subarray(0, n));
      Atomics.store(control, STREAM.LENGTHS + (i % msg.slots), n);
      if (n > 0) Atomics.store(control, STREAM.FILLED, i + 1);
      if (n < msg.slotSize) Atomics.store(control, STREAM.TOTAL, n > 0 ? i + 1 : i);
      if ((i + 1) % quarter === 0 || n < msg.slotSize) Atomics.notify(control, STREAM.FILLED);
      if (n > 0) share.update(scratch.subarray(0, n));
      position += n;
      Atomics.store(control, STREAM.BYTES_LO, position % 2 ** 31);
      Atomics.store(control, STREAM.BYTES_HI, Math.floor(position / 2 ** 31));
      if (n < msg.slotSize) break;
    }
    const after = fdIdentity(fd);
    const changed = describeChange(before, after, position, pathIdentity(msg.path));
    post({ type: 'stream-result', job: msg.job, digests: share.finish(), bytes: position, before, changed });
  } finally {
    closeSync(fd);
  }
}
