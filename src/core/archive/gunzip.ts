import { createInflateRaw, crc32 } from 'node:zlib';

/** Where reading the gzip stream got to, and what followed its last member. */
export interface GunzipProgress {
  /** compressed bytes consumed */
  consumed: number;
  /** bytes after the last gzip member that are not gzip (trailing data gzip -d ignores) */
  trailing?: { offset: number; length: number; zeros: boolean };
  /** told where zlib stands at chosen points of the input (restart points of a content index) */
  observer?: InflateObserver;
}

/**
 * Learns the exact output count at a chosen byte of the compressed input:
 * zlib is given the input up to that byte alone, and once it has used it,
 * every byte it can output from it has been output.
 */
export interface InflateObserver {
  /** The byte of `chunk` (at `offset` of the file) before which to pause, if any. */
  cut(chunk: Buffer, offset: number): number | undefined;
  /** zlib has used every byte before `offset` and put out `produced` bytes in all. */
  reached(offset: number, produced: number): void;
}

/** The compressed input, a chunk at a time, with room to put back what a member did not use. */
class Input {
  private readonly back: Buffer[] = [];
  constructor(private readonly it: AsyncIterator<Buffer>) {}
  async next(): Promise<Buffer | undefined> {
    if (this.back.length) return this.back.pop();
    for (;;) {
      const r = await this.it.next();
      if (r.done) return undefined;
      if (r.value.length) return r.value;
    }
  }
  unshift(b: Buffer): void {
    if (b.length) this.back.push(b);
  }
  /** Exactly n bytes, or fewer at the end of the input. */
  async exact(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const b = await this.next();
      if (!b) break;
      const take = Math.min(b.length, n - got);
      parts.push(b.subarray(0, take));
      this.unshift(b.subarray(take));
      got += take;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, got);
  }
}

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/**
 * The gzip member header at the start of `b`: its length, 'more' when `b`
 * ends inside it, or what is wrong with it, in zlib's words.
 */
export function gzipHeaderLength(b: Uint8Array): number | 'more' | { wrong: string } {
  if (b.length < 2) return b.length && b[0] !== 0x1f ? { wrong: 'incorrect header check' } : 'more';
  if (b[0] !== 0x1f || b[1] !== 0x8b) return { wrong: 'incorrect header check' };
  if (b.length < 10) return 'more';
  if (b[2] !== 8) return { wrong: 'unknown compression method' };
  const flags = b[3]!;
  let p = 10;
  if (flags & FEXTRA) {
    if (b.length < p + 2) return 'more';
    p += 2 + (b[p]! | (b[p + 1]! << 8));
  }
  for (const field of [FNAME, FCOMMENT]) {
    if (!(flags & field)) continue;
    const nul = b.indexOf(0, p);
    if (nul < 0) return 'more';
    p = nul + 1;
  }
  if (flags & FHCRC) p += 2;
  return p <= b.length ? p : 'more';
}

/** Reads a member header; its length, or undefined at the end of the input. Throws what zlib would say. */
async function header(input: Input, first: boolean): Promise<number | 'not-gzip' | undefined> {
  let h = await input.exact(10);
  if (h.length === 0) return undefined;
  for (;;) {
    const r = gzipHeaderLength(h);
    if (typeof r === 'number') {
      input.unshift(h.subarray(r));
      return r;
    }
    const more = r === 'more' ? await input.next() : undefined;
    if (more) {
      h = Buffer.concat([h, more]);
      continue;
    }
    // The input ends inside the header, or it is none: a byte or two at the end is not gzip either.
    const wrong = r === 'more' ? (h.length < 2 ? 'incorrect header check' : 'unexpected end of file') : r.wrong;
    if (wrong === 'incorrect header check' && !first) {
      input.unshift(h);
      return 'not-gzip';
    }
    throw new Error(wrong);
  }
}

/** Output pieces held before zlib is paused: bounds memory on data that expands ~1000x. */
const QUEUE_LIMIT = 8;

/** Resolves on the first of these events. */
function once(emitter: NodeJS.EventEmitter, events: string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const e of events) emitter.off(e, done);
      resolve();
    };
    for (const e of events) emitter.on(e, done);
  });
}

/**
 * One member's deflate data, inflated by zlib on its thread while the
 * caller works on the output (the input is fed ahead, with backpressure).
 * zlib takes all it is given until the deflate data ends; the input it did
 * not use is handed back for the trailer and the next member.
 */
async function* inflateMember(input: Input, progress: GunzipProgress, chunkSize: number, outputBefore: number): AsyncGenerator<Buffer, { crc: number; size: number }> {
  const dataStart = progress.consumed;
  const inflate = createInflateRaw({ chunkSize });
  const queue: Buffer[] = [];
  let ended = false;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let received = 0;
  inflate.on('data', (c: Buffer) => {
    received += c.length;
    queue.push(c);
    if (queue.length >= QUEUE_LIMIT) inflate.pause();
    notify();
  });
  inflate.on('end', () => ((ended = true), notify()));
  inflate.on('error', (e: Error) => ((failed = e), notify()));
  // Input handed to zlib and not yet known to be used: what follows the deflate data is in here.
  const fed: Buffer[] = [];
  let fedStart = 0;
  let fedBytes = 0;
  const observer = progress.observer;
  // Made once: a listener per pause would pile up.
  let over: Promise<void> | undefined;
  const pump = (async () => {
    for (;;) {
      if (ended || failed) return;
      let chunk = await input.next();
      if (ended || failed) return chunk && input.unshift(chunk);
      if (!chunk) {
        inflate.end();
        return;
      }
      const at = observer?.cut(chunk, dataStart + fedBytes);
      if (observer && at !== undefined && at > 0 && at < chunk.length) {
        const head = chunk.subarray(0, at);
        fed.push(head);
        fedBytes += at;
        over ??= once(inflate, ['end', 'error', 'close']);
        await Promise.race([new Promise((used) => inflate.write(head, used)), over]);
        if (ended || failed) return input.unshift(chunk.subarray(at));
        // Whatever zlib put out for this input is pushed by now: passed on, or waiting in the stream.
        observer.reached(dataStart + fedBytes, outputBefore + received + inflate.readableLength);
        chunk = chunk.subarray(at);
      }
      fed.push(chunk);
      fedBytes += chunk.length;
      if (!inflate.write(chunk)) await once(inflate, ['drain', 'end', 'error', 'close']);
    }
  })().catch((err: Error) => {
    // The backup could not be read: the reader waiting for output must hear of it.
    failed ??= err;
    notify();
  });
  let crc = 0;
  let size = 0;
  try {
    for (;;) {
      while (queue.length) {
        const c = queue.shift()!;
        crc = crc32(c, crc);
        size += c.length;
        progress.consumed = dataStart + inflate.bytesWritten;
        // Forget input zlib has used.
        while (fed.length && fedStart + fed[0]!.length <= inflate.bytesWritten) fedStart += fed.shift()!.length;
        yield c;
      }
      if (failed) throw failed;
      if (ended) break;
      inflate.resume();
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (queue.length || ended || failed) notify();
      });
    }
    await pump;
    if (failed) throw failed;
  } finally {
    inflate.destroy();
  }
  // Hand back, in order, what zlib did not use.
  let skip = inflate.bytesWritten - fedStart;
  const unused: Buffer[] = [];
  for (const c of fed) {
    if (skip >= c.length) skip -= c.length;
    else {
      unused.push(c.subarray(skip));
      skip = 0;
    }
  }
  for (const c of unused.reverse()) input.unshift(c);
  progress.consumed = dataStart + inflate.bytesWritten;
  return { crc: crc >>> 0, size };
}

/**
 * gzip, decompressed as `gzip -d` does it: each member in turn, and all of
 * its output handed on before its CRC and length are judged, so that a
 * damaged stream still yields every byte it holds (Node's Gunzip drops the
 * last piece of output when the check fails). Bytes after the last member
 * that are not gzip are trailing data, named with their offset. Errors carry
 * zlib's words ("incorrect data check", "unexpected end of file", …).
 */
export async function* gunzip(source: AsyncIterable<Buffer>, progress: GunzipProgress, chunkSize = 256 * 1024): AsyncGenerator<Buffer> {
  const input = new Input(source[Symbol.asyncIterator]());
  let output = 0;
  for (let member = 0; ; member++) {
    const start = progress.consumed;
    const length = await header(input, member === 0);
    if (length === undefined) return;
    if (length === 'not-gzip') {
      let rest = 0;
      let zeros = true;
      for (let b = await input.next(); b; b = await input.next()) {
        rest += b.length;
        zeros &&= b.every((x) => x === 0);
      }
      progress.trailing = { offset: start, length: rest, zeros };
      return;
    }
    progress.consumed += length;
    const { crc, size } = yield* inflateMember(input, progress, chunkSize, output);
    output += size;
    const trailer = await input.exact(8);
    progress.consumed += trailer.length;
    if (trailer.length < 8) throw new Error('unexpected end of file');
    if (trailer.readUInt32LE(0) !== crc) throw new Error('incorrect data check');
    if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw new Error('incorrect length check');
  }
}
