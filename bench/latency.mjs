#!/usr/bin/env node
// Many copies at network latency, and egress (part of `npm run bench`):
// 100 backups, each in 3 bucket locations of a loopback S3 server, behind a
// proxy that holds every request for 50 ms. Two servers: s3rver, where the
// ETag (the MD5 the manifest states) judges each copy, and moto, which keeps
// the CRC64NVME the SDK sends on upload (it serves one request at a time,
// about 3 ms each, so its own floor is 1 s of the run). Whole processes,
// rounds interleaved, medians:
//   - `locations` over all 300 copies, as it runs (bounded concurrency),
//     against the same run one backup at a time (--concurrency 1);
//   - what the run downloaded, measured at the proxy;
//   - budgeted sampling of copies no checksum vouches for: how many runs of
//     --max-egress read every block, carried forward in the ledger.
//
//   node bench/latency.mjs [--runs 3] [--dir .bench] [--latency-ms 50] [--markdown]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { latencyProxy } from './lib/latency-proxy.mjs';
import { flag, option } from './lib/options.mjs';
import { CLI, DEFAULT_DIR } from './lib/paths.mjs';
import { log } from './lib/text.mjs';
import { median, stopwatch } from './lib/timing.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const runs = Number(option('runs', '3'));
const latencyMs = Number(option('latency-ms', '50'));
const dir = option('dir', DEFAULT_DIR);
const BACKUPS = 100;
const LOCATIONS = ['aws', 'r2', 'b2'];
const TARGET_S = 3;
const REPO_HELPER = new URL('../test/helpers/s3rver-process.mjs', import.meta.url).pathname;
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', NO_COLOR: '1' };

/** A loopback S3 server in a process of its own: moto, or s3rver over a folder. */
async function startServer(kind, folder) {
  const [cmd, argv, stream, line] =
    kind === 'moto'
      ? ['moto_server', ['-H', '127.0.0.1', '-p', '0'], 'stderr', /Running on http:\/\/127\.0\.0\.1:(\d+)/]
      : [process.execPath, [REPO_HELPER, folder], 'stdout', /port (\d+)/];
  const child = spawn(cmd, argv, { stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'ignore'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child[stream].on('data', (d) => {
      out += d;
      const m = line.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited ${code}: ${out}`)));
  });
  return { child, port };
}

/** One whole restorable process, run without blocking this one: the proxy answers from here. */
function run(argv, okCodes = [0]) {
  const elapsed = stopwatch();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const s = elapsed();
      if (!okCodes.includes(code)) reject(new Error(`restorable ${argv.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ s, stdout });
    });
  });
}

/** 100 backups in 3 locations of one server, timed as it runs and one backup at a time. */
async function latencyRuns(kind, work) {
  const server = await startServer(kind, join(work, `${kind}-data`));
  const proxy = await latencyProxy(server.port, latencyMs);
  try {
    const { S3Client, CreateBucketCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({ endpoint: `http://127.0.0.1:${server.port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    log(`  ${kind}: writing ${BACKUPS} backups, their manifests and ${BACKUPS * LOCATIONS.length} bucket copies…`);
    const manifests = join(work, `${kind}-manifests`);
    mkdirSync(manifests);
    const files = [];
    for (let i = 0; i < BACKUPS; i++) {
      const name = `db-${String(i).padStart(3, '0')}.sql.gz`;
      const body = Buffer.alloc(64 * 1024, i);
      body.write(name);
      writeFileSync(join(manifests, name), body);
      files.push({ name, body });
    }
    await run(['manifest', '--algo', 'md5', ...files.map((f) => join(manifests, f.name))]);
    for (const f of files) rmSync(join(manifests, f.name));
    for (const loc of LOCATIONS) await s3.send(new CreateBucketCommand({ Bucket: `bench-${loc}` }));
    const checksum = kind === 'moto' ? { ChecksumAlgorithm: 'CRC64NVME' } : {};
    await Promise.all(LOCATIONS.flatMap((loc) => files.map((f) => s3.send(new PutObjectCommand({ Bucket: `bench-${loc}`, Key: f.name, Body: f.body, ...checksum })))));
    s3.destroy();

    const locations = LOCATIONS.flatMap((loc) => ['--location', `${loc}=s3://bench-${loc}?endpoint=${encodeURIComponent(proxy.endpoint)}`]);
    const base = ['locations', '--manifest-location', manifests, '--all', '--state-dir', join(work, `${kind}-state`), '--json', ...locations];
    const commands = { concurrent: base, serial: [...base, '--concurrency', '1'] };
    const times = { concurrent: [], serial: [] };
    let checked;
    let requests = 0;
    let downloaded = 0;
    for (let round = 0; round <= runs; round++) {
      for (const [name, argv] of Object.entries(commands)) {
        proxy.reset();
        const r = await run(argv);
        if (round === 0) {
          checked = JSON.parse(r.stdout).results;
          requests = proxy.stats.requests;
          downloaded = proxy.stats.bodyBytes;
        } else times[name].push(r.s);
      }
    }
    const byEvidence = {};
    for (const r of checked) byEvidence[`${r.status} by ${r.copy.evidence}`] = (byEvidence[`${r.status} by ${r.copy.evidence}`] ?? 0) + 1;
    return { kind, concurrent: median(times.concurrent), serial: median(times.serial), requests, downloaded, byEvidence };
  } finally {
    await proxy.close();
    server.child.kill('SIGKILL');
  }
}

/** Budgeted sampling: one 8 MiB copy no checksum vouches for, 25% a run, at most 1 MiB a run, until every block was read. */
async function budgetedRuns(work) {
  const server = await startServer('s3rver', join(work, 'sampled-data'));
  const proxy = await latencyProxy(server.port, latencyMs);
  try {
    const { S3Client, CreateBucketCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({ endpoint: `http://127.0.0.1:${server.port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    const sampled = join(work, 'sampled');
    mkdirSync(sampled);
    writeFileSync(join(sampled, 'site.tar'), big);
    await run(['manifest', '--block-size', '64KiB', join(sampled, 'site.tar')]);
    rmSync(join(sampled, 'site.tar'));
    await s3.send(new CreateBucketCommand({ Bucket: 'bench-plain' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bench-plain', Key: 'site.tar', Body: big }));
    s3.destroy();
    const state = join(work, 'sampled-state');
    const budget = ['locations', '--manifest-location', sampled, '--all', '--state-dir', state, '--sample', '25%', '--max-egress', '1MiB', '--json', '--location', `plain=s3://bench-plain?endpoint=${encodeURIComponent(proxy.endpoint)}`];
    const perRun = [];
    for (let n = 1; n <= 20; n++) {
      proxy.reset();
      await run(budget);
      perRun.push(proxy.stats.bodyBytes);
      if ((await run(['status', '--state-dir', state], [0, 1])).stdout.includes('blocks read: 100%')) return { runs: n, most: Math.max(...perRun), total: perRun.reduce((a, b) => a + b, 0), size: big.length };
    }
    throw new Error('20 budgeted runs did not read every block');
  } finally {
    await proxy.close();
    server.child.kill('SIGKILL');
  }
}

async function main() {
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'latency-'));
  try {
    const results = [await latencyRuns('s3rver', work), await latencyRuns('moto', work)];
    const budget = await budgetedRuns(work);
    console.log(`storage locations, ${BACKUPS} backups × ${LOCATIONS.length} locations at ${latencyMs} ms a request (a delaying proxy in front of the server), median of ${runs}:`);
    for (const r of results) {
      console.log(`  ${r.kind.padEnd(7)} locations ${r.concurrent.toFixed(2)} s   one backup at a time ${r.serial.toFixed(2)} s   ${(r.serial / r.concurrent).toFixed(1)}x   ${r.concurrent <= TARGET_S ? 'within' : 'over'} the ${TARGET_S} s target`);
      console.log(`          ${r.requests} requests; ${Object.entries(r.byEvidence).map(([k, n]) => `${n} ${k}`).join(', ')}; downloaded ${r.downloaded} bytes of ${BACKUPS * LOCATIONS.length * 64} KiB (proxy-measured)`);
    }
    console.log(`  budgeted sampling (8 MiB copy, no checksum, --sample 25% --max-egress 1MiB): every block read in ${budget.runs} runs, at most ${budget.most} bytes a run, ${(budget.total / budget.size).toFixed(2)}x the copy in all`);
    if (flag('markdown')) {
      console.log(`\n| locations, ${BACKUPS} × ${LOCATIONS.length} copies at ${latencyMs} ms | as it runs (s) | one at a time (s) | bytes downloaded |\n|---|---:|---:|---:|`);
      for (const r of results) console.log(`| ${r.kind} | ${r.concurrent.toFixed(2)} | ${r.serial.toFixed(2)} | ${r.downloaded} |`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
