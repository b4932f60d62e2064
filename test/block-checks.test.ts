import { openSync, closeSync, writeSync, truncateSync, appendFileSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { blocksCheck, type BlocksOutcome } from '../src/core/checks/blocks.js';
import type { CheckEvent } from '../src/core/events/types.js';
import { WorkerPool } from '../src/core/hash/pool.js';
import type { BlockMap } from '../src/core/manifest/model.js';
import { buildBlockMap } from '../src/core/manifest/writers.js';
import { bytes, digest, tempDir, writeFixture } from './helpers/fixtures.js';

const pool = new WorkerPool(2);
afterAll(() => pool.close());

function mapOf(name: string, data: Buffer, blockSize: number): BlockMap {
  const digests: string[] = [];
  for (let at = 0; at < data.length; at += blockSize) digests.push(digest('sha256', data.subarray(at, at + blockSize)));
  return buildBlockMap(name, data.length, blockSize, digest('sha256', data), digests);
}

function flip(file: string, offset: number, length: number): void {
  const fd = openSync(file, 'r+');
  const buf = Buffer.alloc(length, 0xa5);
  writeSync(fd, buf, 0, length, offset);
  closeSync(fd);
}

async function run(file: string, map: BlockMap, onEvent?: (e: CheckEvent) => void): Promise<{ outcome: BlocksOutcome; events: CheckEvent[] }> {
  const events: CheckEvent[] = [];
  const gen = blocksCheck(file, map, { pool });
  for (;;) {
    const next = await gen.next();
    if (next.done) return { outcome: next.value, events };
    events.push(next.value);
    onEvent?.(next.value);
  }
}

describe('blocks check', () => {
  const blockSize = 64 * 1024;
  const size = 200 * blockSize + 1234;

  it('passes an intact file with no regions', async () => {
    const dir = tempDir();
    const data = bytes('intact', size);
    const file = writeFixture(dir, 'a.tar.gz', data);
    const { outcome, events } = await run(file, mapOf('a.tar.gz', data, blockSize));
    expect(outcome.regions).toEqual([]);
    const okBlocks = events.filter((e) => e.type === 'block' && e.state === 'ok').reduce((n, e) => n + (e.type === 'block' ? e.count : 0), 0);
    expect(okBlocks).toBe(201);
  });

  // Each case: bytes damaged at a known offset, and the exact region expected.
  const cases = [
    { name: 'inside one block', offset: 37 * blockSize + 100, length: 10, first: 37, last: 37 },
    { name: 'straddling two blocks', offset: 90 * blockSize - 3, length: 6, first: 89, last: 90 },
    { name: 'the very first byte', offset: 0, length: 1, first: 0, last: 0 },
    { name: 'the short last block', offset: size - 1, length: 1, first: 200, last: 200 },
  ];
  for (const c of cases) {
    it(`locates damage ${c.name} to the exact blocks and bytes`, async () => {
      const dir = tempDir();
      const data = bytes('damage', size);
      const file = writeFixture(dir, 'a.tar.gz', data);
      const map = mapOf('a.tar.gz', data, blockSize);
      flip(file, c.offset, c.length);
      const { outcome } = await run(file, map);
      const end = Math.min(size, (c.last + 1) * blockSize);
      expect(outcome.regions).toEqual([
        { kind: 'corrupt', state: 'confirmed', firstBlock: c.first, lastBlock: c.last, offset: c.first * blockSize, length: end - c.first * blockSize },
      ]);
      expect(outcome.badBlocks.map((b) => b.index)).toEqual(Array.from({ length: c.last - c.first + 1 }, (_, i) => c.first + i));
      expect(outcome.badBlocks[0]!.expected).toBe(map.blocks[c.first]!.hash);
      expect(outcome.badBlocks[0]!.actual).toBe(digest('sha256', readFileSync(file).subarray(c.first * blockSize, (c.first + 1) * blockSize)));
    });
  }

  it('groups consecutive bad blocks and keeps separate damage separate', async () => {
    const dir = tempDir();
    const data = bytes('groups', size);
    const file = writeFixture(dir, 'a.tar.gz', data);
    const map = mapOf('a.tar.gz', data, blockSize);
    flip(file, 10 * blockSize, 3 * blockSize); // blocks 10, 11, 12
    flip(file, 150 * blockSize + 5, 1);
    const { outcome } = await run(file, map);
    expect(outcome.regions.map((r) => [r.firstBlock, r.lastBlock, r.offset, r.length])).toEqual([
      [10, 12, 10 * blockSize, 3 * blockSize],
      [150, 150, 150 * blockSize, blockSize],
    ]);
  });

  it('reports the missing tail of a truncated file from the exact byte where it ends', async () => {
    const dir = tempDir();
    const data = bytes('trunc', size);
    const file = writeFixture(dir, 'a.tar.gz', data);
    const cut = 120 * blockSize + 999;
    truncateSync(file, cut);
    const { outcome } = await run(file, mapOf('a.tar.gz', data, blockSize));
    expect(outcome.actualSize).toBe(cut);
    expect(outcome.regions).toEqual([{ kind: 'missing', firstBlock: 120, lastBlock: 200, offset: cut, length: size - cut }]);
  });

  it('reports the extra bytes of an extended file', async () => {
    const dir = tempDir();
    const data = bytes('extended', size);
    const file = writeFixture(dir, 'a.tar.gz', data);
    appendFileSync(file, Buffer.alloc(70_000, 1));
    const { outcome } = await run(file, mapOf('a.tar.gz', data, blockSize));
    expect(outcome.regions).toEqual([{ kind: 'extra', firstBlock: 201, lastBlock: 202, offset: size, length: 70_000 }]);
  });

  it('classifies a block that reads differently the second time as transient', async () => {
    const dir = tempDir();
    const data = bytes('flaky', size);
    const file = writeFixture(dir, 'a.tar.gz', data);
    const map = mapOf('a.tar.gz', data, blockSize);
    flip(file, 5 * blockSize, 10); // stays bad: confirmed
    flip(file, 60 * blockSize, 10); // repaired before the re-read: transient
    const { outcome } = await run(file, map, (e) => {
      // The check pauses on this step until we have seen it: act as a flaky disk that reads right now.
      if (e.type === 'step' && e.id === 'reread' && e.state === 'running') {
        const fd = openSync(file, 'r+');
        writeSync(fd, data, 60 * blockSize, 10, 60 * blockSize);
        closeSync(fd);
      }
    });
    expect(outcome.regions.map((r) => [r.firstBlock, r.state])).toEqual([
      [5, 'confirmed'],
      [60, 'transient'],
    ]);
  });
});
