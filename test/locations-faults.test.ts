import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healCopy } from '../src/core/locations/heal.js';
import { LocalLocation } from '../src/core/storage/local-location.js';
import { S3Location } from '../src/core/storage/s3-location.js';
import { parseLocationUri } from '../src/core/storage/uri.js';
import { bytes, digest, tempDir } from './helpers/fixtures.js';
import { S3TestServer, S3_ENV } from './helpers/s3-server.js';

/** A server stopped mid-transfer: clear errors, retries with backoff, resumption, nothing partial left. */

const MiB = 1024 * 1024;
const big = bytes('faults', 64 * MiB);
const server = new S3TestServer();
let location: S3Location;

beforeAll(async () => {
  await server.start();
  await server.bucket('faults');
  await server.put('faults', 'big.img', big);
  location = new S3Location(parseLocationUri('remote', server.uri('faults'), {}, S3_ENV) as Extract<ReturnType<typeof parseLocationUri>, { kind: 's3' }>);
});
afterAll(async () => {
  location.close();
  await server.stop();
});

describe('a server stopped mid-download', () => {
  it('resumes from the byte it reached when the server comes back (same object, If-Match)', async () => {
    const hash = createHash('sha256');
    let got = 0;
    let stopped = false;
    for await (const chunk of location.read('big.img')) {
      hash.update(chunk);
      got += chunk.length;
      if (!stopped) {
        // the connection drops mid-object; the server is back before the first retry, however slow the machine
        stopped = true;
        await server.kill();
        await server.start();
      }
    }
    expect(got).toBe(big.length);
    expect(hash.digest('hex')).toBe(digest('sha256', big));
  });

  it('gives a clear error naming the object and the byte reached, after retries with backoff', async () => {
    const started = Date.now();
    let got = 0;
    const read = async () => {
      for await (const chunk of location.read('big.img')) {
        if (got === 0) await server.kill();
        got += chunk.length;
      }
    };
    await expect(read()).rejects.toThrow(/^s3:\/\/faults\/big\.img: download failed after \d+ of 67108864 bytes \(4 tries\): connection refused$/);
    expect(got).toBeLessThan(big.length);
    // Three waits: 0.25 s, 0.5 s and 1 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1700);
    await server.start();
  });

  it('a heal whose healthy copy goes away leaves no partial file behind', async () => {
    const dir = tempDir();
    const damaged = Buffer.from(big);
    for (let i = 0; i < 64; i++) damaged[i * MiB + 5] = damaged[i * MiB + 5]! ^ 1; // every block bad
    writeFileSync(join(dir, 'big.img'), damaged);
    const blocks = Array.from({ length: 64 }, (_, i) => ({ block: i, offset: i * MiB, size: MiB, hash: digest('sha256', big.subarray(i * MiB, (i + 1) * MiB)) }));
    const blockMap = { file: 'big.img', file_size: big.length, block_size: MiB, total_blocks: 64, file_hash: digest('sha256', big), blocks };
    const expectations = [{ manifest: join(dir, 'big.img.blocks.json'), kind: 'block-map' as const, listedName: 'big.img', size: big.length, digests: { sha256: blockMap.file_hash }, blockMap }];
    const run = async () => {
      for await (const ev of healCopy({ key: 'big.img', expectations, target: new LocalLocation('local', dir), source: location }, {})) {
        if (ev.type === 'step' && ev.id === 'fetch' && ev.state === 'running') await server.kill();
      }
    };
    await expect(run()).rejects.toThrow(/s3:\/\/faults\/big\.img \(bytes 0-1048575\): download failed at byte 0 of 67108864 \(4 tries\): connection refused/);
    expect(readdirSync(dir)).toEqual(['big.img']);
    await server.start();
  });
});
