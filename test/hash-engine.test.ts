import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortError } from '../src/core/errors.js';
import { parallelBlockDigests, type BlockChunk } from '../src/core/hash/block-digests.js';
import { WorkerPool } from '../src/core/hash/pool.js';
import { SLOT_SIZE, planTasks, streamDigest } from '../src/core/hash/stream-digest.js';
import { bytes, digest, tempDir, writeFixture } from './helpers/fixtures.js';

const pool = new WorkerPool(2);
afterAll(() => pool.close());

function blockDigestsOf(data: Buffer, blockSize: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < data.length; at += blockSize) out.push(digest('sha256', data.subarray(at, at + blockSize)));
  return out;
}

describe('streamDigest: one read, every algorithm', () => {
  const sizes = [0, 1, 4095, SLOT_SIZE - 1, SLOT_SIZE, SLOT_SIZE + 1, 3 * SLOT_SIZE + 12345];
  for (const size of sizes) {
    it(`matches node:crypto and b3sum for ${size} bytes`, async () => {
      const dir = tempDir();
      const data = bytes(`size-${size}`, size);
      const file = writeFixture(dir, 'f.bin', data);
      const r = await streamDigest(pool, file, { algorithms: ['md5', 'sha1', 'sha256', 'sha512', 'blake3'] });
      expect(r.bytes).toBe(size);
      expect(r.changed).toBeUndefined();
      for (const algo of ['md5', 'sha1', 'sha256', 'sha512'] as const) expect(r.digests[algo]).toBe(digest(algo, data));
      expect(r.digests.blake3).toBe(execFileSync('b3sum', ['--no-names', file], { encoding: 'utf8' }).trim());
    });
  }

  it('digests blocks in the same pass, also when blocks straddle read buffers', async () => {
    const dir = tempDir();
    const data = bytes('blocks', 2 * SLOT_SIZE + 777);
    const file = writeFixture(dir, 'f.bin', data);
    for (const blockSize of [64 * 1024, 1_000_003, 3 * 1024 * 1024]) {
      const seen: string[] = [];
      const r = await streamDigest(pool, file, { algorithms: ['sha256'], blockSize, onBlocks: (first, d) => (expect(first).toBe(seen.length), seen.push(...d)) });
      expect(r.blockDigests).toEqual(blockDigestsOf(data, blockSize));
      expect(seen).toEqual(r.blockDigests);
      expect(r.digests.sha256).toBe(digest('sha256', data));
    }
  });

  it('is cancellable with an AbortSignal, and the pool keeps working afterwards', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'big.bin', bytes('abort', 128 * 1024 * 1024)); // long enough to be caught mid-read
    const controller = new AbortController();
    const run = streamDigest(pool, file, {
      algorithms: ['sha512', 'md5'],
      progressIntervalMs: 0,
      onProgress: () => controller.abort(),
      signal: controller.signal,
    });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    const again = await streamDigest(pool, file, { algorithms: ['sha256'] });
    expect(again.bytes).toBe(128 * 1024 * 1024);
  });

  it('reports a file that grows while it is read as changed, not as a digest', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'growing.bin', bytes('grow', 128 * 1024 * 1024)); // read for ~0.1 s: long enough to append meanwhile
    let appended = false;
    const r = await streamDigest(pool, file, {
      algorithms: ['sha256'],
      progressIntervalMs: 0,
      onProgress: (p) => {
        // Once the reader has started (and noted the file's size), the file grows.
        if (appended || p.done === 0) return;
        appendFileSync(file, 'more data');
        appended = true;
      },
    });
    expect(r.changed).toMatch(/size changed|read \d+ bytes/);
  });

  it('throttles progress to about ten events a second', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'p.bin', bytes('progress', 16 * SLOT_SIZE));
    let events = 0;
    const started = performance.now();
    await streamDigest(pool, file, { algorithms: ['sha512'], onProgress: () => events++ });
    const seconds = (performance.now() - started) / 1000;
    expect(events).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 2);
    expect(events).toBeGreaterThanOrEqual(1);
  });

  it('names the file when it cannot be opened', async () => {
    await expect(streamDigest(pool, '/nonexistent/x.tar.gz', { algorithms: ['sha256'] })).rejects.toThrow('/nonexistent/x.tar.gz: no such file or directory');
  });
});

describe('planTasks', () => {
  it('puts the slowest algorithms on different threads', () => {
    const groups = planTasks([{ kind: 'digest', algorithm: 'md5' }, { kind: 'digest', algorithm: 'sha256' }, { kind: 'digest', algorithm: 'sha512' }], 2);
    expect(groups).toHaveLength(2);
    const withMd5 = groups.find((g) => g.some((t) => t.kind === 'digest' && t.algorithm === 'md5'))!;
    expect(withMd5.some((t) => t.kind === 'digest' && t.algorithm === 'sha512')).toBe(false);
  });
});

describe('parallelBlockDigests', () => {
  for (const threads of [1, 2]) {
    for (const oneReader of [false, true]) {
      it(`digests every block in order with ${threads} thread(s)${oneReader ? ', taking turns to read as on a spinning disk' : ''}`, async () => {
        const local = new WorkerPool(threads);
        try {
          const dir = tempDir();
          const data = bytes('parallel', 20 * 1024 * 1024 + 5);
          const file = writeFixture(dir, 'f.bin', data);
          const blockSize = 1024 * 1024;
          const got: string[] = [];
          const chunks: BlockChunk[] = [];
          const run = await parallelBlockDigests(local, file, { blockSize, limit: data.length, onChunk: (c) => chunks.push(c), oneReader });
          for (const c of chunks.sort((a, b) => a.firstBlock - b.firstBlock)) got.push(...c.digests);
          expect(got).toEqual(blockDigestsOf(data, blockSize));
          expect(run.actualSize).toBe(data.length);
          // A file shorter than the map says: the blocks it has, and the last one short.
          const short = await parallelBlockDigests(local, file, { blockSize, limit: data.length + 3 * blockSize, onChunk: () => {}, oneReader });
          expect(short.actualSize).toBe(data.length);
        } finally {
          await local.close();
        }
      });
    }
  }
});

describe('spinning disks', () => {
  it('a file is on one when /sys says its disk (or the disk its partition belongs to) is rotational', async () => {
    const { mkdirSync, symlinkSync, writeFileSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { onRotationalDisk } = await import('../src/core/hash/device.js');
    const dir = tempDir();
    const file = writeFixture(dir, 'f.bin', bytes('disk', 10));
    const dev = statSync(file).dev;
    const id = `${(dev >> 8) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
    for (const [flag, want] of [['1', true], ['0', false]] as const) {
      const sys = join(dir, `sys-${flag}`);
      mkdirSync(join(sys, 'devices', 'sda', 'sda1'), { recursive: true });
      mkdirSync(join(sys, 'devices', 'sda', 'queue'));
      writeFileSync(join(sys, 'devices', 'sda', 'queue', 'rotational'), `${flag}\n`);
      mkdirSync(join(sys, 'dev', 'block'), { recursive: true });
      symlinkSync(join(sys, 'devices', 'sda', 'sda1'), join(sys, 'dev', 'block', id));
      expect(onRotationalDisk(file, sys)).toBe(want);
    }
    // No sysfs entry: not rotational (parallel reads).
    expect(onRotationalDisk(file, join(dir, 'nowhere'))).toBe(false);
  });
});
