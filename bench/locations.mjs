#!/usr/bin/env node
// Storage location benchmarks (part of `npm run bench`): one backup in two
// buckets of a loopback S3 server (s3rver), one copy with a damaged block.
// Whole processes, rounds interleaved, medians:
//   - a full check of a bucket copy (`locations --full`) against downloading
//     it with curl into sha256sum;
//   - the everyday check (HEAD + ETag), which downloads nothing;
//   - `heal`, with how much of the healthy copy it fetched.
//
//   node bench/locations.mjs [--runs 5] [--dir .bench] [--mib 256] [--markdown]
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, DEFAULT_DIR, REPO } from './lib/paths.mjs';
import { log } from './lib/text.mjs';
import { median, stopwatch } from './lib/timing.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const runs = Number(opt('runs', '5'));
const mib = Number(opt('mib', '256'));
const dir = opt('dir', DEFAULT_DIR);
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', NO_COLOR: '1' };

async function startServer(directory) {
  const child = spawn(process.execPath, [join(REPO, 'test/helpers/s3rver-process.mjs'), directory], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited ${code}`)));
  });
  return { child, endpoint: `http://127.0.0.1:${port}` };
}

function time(argv, okCodes = [0]) {
  const elapsed = stopwatch();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const s = elapsed();
  if (!okCodes.includes(r.status)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { s, stdout: r.stdout };
}

async function main() {
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'locations-'));
  const server = await startServer(join(work, 's3'));
  try {
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const { Upload } = await import('@aws-sdk/lib-storage');
    const s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    log(`  creating a ${mib} MiB backup and two bucket copies…`);
    const local = join(work, 'local');
    mkdirSync(local);
    const file = join(local, 'db.img');
    const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16));
    const good = cipher.update(Buffer.alloc(mib * 1024 * 1024));
    writeFileSync(file, good);
    time([process.execPath, CLI, 'manifest', '--blocks', file]);
    const bad = Buffer.from(good);
    for (let i = 0; i < 64; i++) bad[5 * 1024 * 1024 + i] ^= 0xff;
    for (const [bucket, body] of [['bench-good', good], ['bench-bad', bad]]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await new Upload({ client: s3, params: { Bucket: bucket, Key: 'db.img', Body: body }, partSize: 8 * 1024 * 1024 }).done();
    }
    s3.destroy();
    const loc = (name, bucket) => ['--location', `${name}=s3://${bucket}?endpoint=${server.endpoint}`];
    const state = ['--state-dir', join(work, 'state')];
    const only = ['--manifest-location', local, '--all', ...state];
    // The first run learns the good bytes' MD5 (from the local copy); the everyday runs need no download.
    time([process.execPath, CLI, 'locations', file, ...loc('good', 'bench-good'), ...state]);
    const commands = {
      'curl | sha256sum': { argv: ['sh', '-c', `curl -sf ${server.endpoint}/bench-good/db.img | sha256sum >/dev/null`] },
      'locations --full (one bucket copy)': { argv: [process.execPath, CLI, 'locations', ...only, ...loc('good', 'bench-good'), '--full', '--json'] },
      'locations (HEAD + ETag)': { argv: [process.execPath, CLI, 'locations', ...only, ...loc('good', 'bench-good'), '--json'] },
      'heal a bucket copy (1 bad block)': { argv: [process.execPath, CLI, 'heal', file, '--copy', 'bad', '--from', 'good', '--out', join(work, 'healed.img'), '--json', ...loc('good', 'bench-good'), ...loc('bad', 'bench-bad')], before: () => rmSync(join(work, 'healed.img'), { force: true }) },
    };
    const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
    const outputs = {};
    for (let round = 0; round <= runs; round++) {
      for (const [name, c] of Object.entries(commands)) {
        c.before?.();
        const r = time(c.argv);
        outputs[name] = r.stdout;
        if (round > 0) times[name].push(r.s);
      }
    }
    const base = median(times['curl | sha256sum']);
    const etagRun = JSON.parse(outputs['locations (HEAD + ETag)']).results[0].copy;
    const heal = JSON.parse(outputs['heal a bucket copy (1 bad block)']);
    console.log(`storage locations, ${mib} MiB backup on a loopback S3 server, median of ${runs}:`);
    const rows = Object.entries(times).map(([name, list]) => ({ name, m: median(list), ratio: median(list) / base }));
    for (const r of rows) console.log(`  ${r.name.padEnd(36)} ${r.m.toFixed(3)} s   ${r.ratio.toFixed(2)}x`);
    console.log(`  the everyday check downloaded ${etagRun.bytesRead} bytes (evidence: ${etagRun.evidence})`);
    console.log(`  heal fetched ${heal.fetchedBytes} bytes of ${good.length} from the healthy copy (${heal.healedBlocks} block)`);
    if (args.includes('--markdown')) {
      console.log(`\n| storage measurement | median s | vs curl \\| sha256sum |\n|---|---:|---:|`);
      for (const r of rows) console.log(`| \`${r.name}\` | ${r.m.toFixed(3)} | ${r.ratio.toFixed(2)} |`);
    }
  } finally {
    server.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
