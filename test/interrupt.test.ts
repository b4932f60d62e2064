import { execSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blocksCheck } from '../src/core/checks/blocks.js';
import { AbortError } from '../src/core/errors.js';
import { WorkerPool } from '../src/core/hash/pool.js';
import { streamDigest } from '../src/core/hash/stream-digest.js';
import { bytes, digest, manyBackups, tempDir, writeFixture } from './helpers/fixtures.js';
import { hasOpen, runCli, signalWhen, type CliRun } from './helpers/run-cli.js';

/** Interruption always ends in exit 130, one line on stderr, no stack trace, and nothing left behind. */
function expectInterrupted(run: CliRun): void {
  expect(run.code, `${run.stdout}${run.stderr}`).toBe(130);
  expect(run.stderr).toMatch(/^restorable: interrupted$/m);
  expect(run.stderr).not.toMatch(/unexpected failure|\n\s+at /);
}

describe('interrupting a command', () => {
  it('a SIGTERM while the program is still loading exits 130, having checked nothing', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'a.img', bytes('early', 1000));
    writeFixture(dir, 'a.img.sha256', `${digest('sha256', bytes('early', 1000))}  a.img\n`);
    // A preload keeps the runtime from dying of the signal before our first line; the signal comes as the program loads.
    const preload = `data:text/javascript,process.on('SIGTERM',()=>{});setImmediate(()=>process.kill(process.pid,'SIGTERM'))`;
    const run = await runCli(['verify', file], { env: { NODE_OPTIONS: `--import=${preload}` } });
    expectInterrupted(run);
    expect(run.stdout).not.toMatch(/verified/);
  });

  it('deep on a large .sql.gz stops on SIGINT and on SIGTERM (exit 130), not at the end with exit 0', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.sql.gz');
    // 4 GiB of SQL text in 128 gzip members of 32 MiB (one gzip stream, as `cat a.gz b.gz` makes): many seconds to read, quick to make
    execSync(`yes "INSERT INTO t VALUES (1, 'a row of a large table');" | head -c 33554432 | gzip -1 > ${file}.part && for i in $(seq 128); do cat ${file}.part; done > ${file} && rm ${file}.part`, { shell: '/bin/bash' });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const run = await runCli(['deep', file], { onSpawn: signalWhen((p) => hasOpen(p.pid, file), signal) });
      expectInterrupted(run);
      expect(run.stdout).not.toMatch(/verified/);
    }
  });

  it('Ctrl-C twice during a deep check exits at once and still removes the sandbox', async () => {
    const dir = tempDir();
    const src = join(dir, 'src');
    mkdirSync(src);
    for (let i = 0; i < 4000; i++) writeFileSync(join(src, `f${i}`), `file ${i}\n`);
    execSync(`head -c 300000000 /dev/zero > ${join(src, 'zero.img')}`);
    execSync(`tar -czf ${join(dir, 'many.tar.gz')} -C ${src} .`);
    const temps = tempDir('restorable-temps-');
    const sandboxEntries = () => {
      const [box] = readdirSync(temps);
      return box ? readdirSync(join(temps, box)).length : 0;
    };
    let sent = 0;
    const run = await runCli(['deep', join(dir, 'many.tar.gz'), '--temp-dir', temps], {
      onSpawn: (_kill, p) => {
        const poll = setInterval(() => {
          // the second Ctrl-C right after the first, while the sandbox is full of files
          if (sent === 0 && sandboxEntries() > 1000) {
            sent = 2;
            p.kill('SIGINT');
            p.kill('SIGINT');
            clearInterval(poll);
          }
        }, 5);
      },
    });
    expect(sent).toBe(2);
    expectInterrupted(run);
    expect(readdirSync(temps)).toEqual([]);
  });

  it('a scan over thousands of backups stops between two of them', async () => {
    const total = 3000;
    const { dir } = manyBackups(total, 16);
    const config = join(tempDir(), 'all.json');
    writeFileSync(config, JSON.stringify({ tiers: { all: { check: 'hash' } } }));
    const run = await runCli(['scan', dir, '--tier', 'all', '--config', config, '--state-dir', tempDir()], {
      onSpawn: signalWhen((p) => /verified/.test(p.stdout()), 'SIGTERM'),
    });
    expectInterrupted(run);
    const checked = (run.stdout.match(/verified/g) ?? []).length;
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThan(total / 2);
  });
});

describe('the engine under an abort signal', () => {
  it('the block re-read stops with our AbortError (not the platform one, which was an "unexpected failure")', async () => {
    const dir = tempDir();
    const blockSize = 64 * 1024;
    const data = bytes('reread', 256 * blockSize);
    const file = writeFixture(dir, 'disk.img', data);
    // a map every block of which disagrees: all 256 are re-read
    const blocks = Array.from({ length: 256 }, (_, i) => ({ block: i, offset: i * blockSize, size: blockSize, hash: '0'.repeat(64) }));
    const map = { file: 'disk.img', file_size: data.length, block_size: blockSize, total_blocks: 256, file_hash: digest('sha256', data), blocks };
    const pool = new WorkerPool(2);
    const controller = new AbortController();
    try {
      const run = async () => {
        for await (const e of blocksCheck(file, map, { pool, signal: controller.signal, progressIntervalMs: 0 })) {
          if (e.type === 'step' && e.id === 'reread') controller.abort();
        }
      };
      await expect(run()).rejects.toBeInstanceOf(AbortError);
    } finally {
      await pool.close();
    }
  });

  it('a job waiting for a busy worker stops when interrupted, and the pool goes on serving', async () => {
    const pool = new WorkerPool(1);
    try {
      const held = await pool.lease(1);
      const controller = new AbortController();
      const waiting = pool.lease(1, undefined, controller.signal);
      controller.abort();
      await expect(waiting).rejects.toBeInstanceOf(AbortError);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      const next = pool.lease(1);
      pool.release(held);
      pool.release(await next);
    } finally {
      await pool.close();
    }
  });

  it('hashing many files under one signal leaves no listener behind, whether a file hashes or fails', async () => {
    const dir = tempDir();
    const file = writeFixture(dir, 'x.img', bytes('listeners', 4096));
    const pool = new WorkerPool(2);
    const signal = new AbortController().signal;
    try {
      for (let i = 0; i < 20; i++) {
        await streamDigest(pool, file, { algorithms: ['sha256'], signal });
        await expect(streamDigest(pool, join(dir, 'gone.img'), { algorithms: ['sha256'], signal })).rejects.toThrow(/no such file/);
      }
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    } finally {
      await pool.close();
    }
  });
});

