import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/fixtures.js';

const RULES = fileURLToPath(new URL('../deploy/prometheus-rules.yaml', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

let demo: string;
beforeAll(async () => {
  // Not tempDir(): that one is removed after each test, and this set serves them all.
  demo = join(mkdtempSync(join(tmpdir(), 'restorable-demo-')), 'demo');
  expect((await runCli(['demo', demo, '--no-open'])).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(join(demo, '..'), { recursive: true, force: true }));

const value = (text: string, metric: string) => Number(new RegExp(`^${metric.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1]);

describe('Prometheus metrics', () => {
  it('writes a textfile that promtool accepts, with failures counted and counters that keep growing', async () => {
    const state = tempDir();
    const prom = join(state, 'restorable.prom');
    expect((await runCli(['scan', demo, '--tier', 'daily', '--state-dir', state, '--metrics-file', prom])).code).toBe(1);
    execFileSync('promtool', ['check', 'metrics'], { input: readFileSync(prom) }); // throws on any problem
    const first = readFileSync(prom, 'utf8');
    // Every series carries its tier, so two tiers' textfiles never collide.
    expect(value(first, 'restorable_backups_failing{tier="daily"}')).toBe(2); // the corrupted and the truncated
    expect(value(first, 'restorable_backups{tier="daily"}')).toBe(6);
    expect(value(first, 'restorable_checks_total{check="hash",status="verified",tier="daily"}')).toBe(3);
    expect(value(first, 'restorable_coverage_ratio{window="7d",tier="daily"}')).toBe(1);
    // What the "not verified in two periods" rule compares: the tier's period and each backup's last pass.
    expect(value(first, 'restorable_tier_period_seconds{tier="daily"}')).toBe(86_400);
    expect(first).toMatch(/^restorable_last_success_timestamp_seconds\{folder="[^"]+",backup="app-\d{8}\.tar\.gz",tier="daily"\} \d+/m);
    await runCli(['scan', demo, '--tier', 'daily', '--state-dir', state, '--metrics-file', prom]);
    expect(value(readFileSync(prom, 'utf8'), 'restorable_checks_total{check="hash",status="verified",tier="daily"}')).toBe(6);
    // A size check reads no bytes: none are counted as verified; its counters exist from the start, at 0.
    const hourly = join(state, 'hourly.prom');
    await runCli(['scan', demo, '--tier', 'hourly', '--state-dir', state, '--metrics-file', hourly]);
    expect(value(readFileSync(hourly, 'utf8'), 'restorable_verified_bytes_total{check="quick",tier="hourly"}')).toBe(0);
  });

  it('ships alerting rules that promtool accepts', () => {
    expect(execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' })).toContain('SUCCESS: 8 rules found');
  });

  describe('with a real Pushgateway on loopback', () => {
    let gateway: ChildProcess;
    let url: string;
    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      gateway = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('prometheus-pushgateway did not start');
    }, 20_000);
    afterAll(() => void gateway?.kill());

    it('pushes the metrics, grouped by job and tier', async () => {
      const run = await runCli(['scan', demo, '--tier', 'hourly', '--state-dir', tempDir(), '--pushgateway', url, '--json']);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout).results).toHaveLength(5); // the newest five, checked
      const scraped = await (await fetch(`${url}/metrics`)).text();
      expect(scraped).toMatch(/^restorable_backups_failing\{.*job="restorable".*tier="hourly".*\} \d+$/m);
      expect(scraped).toMatch(/^restorable_last_scan_timestamp_seconds\{.*tier="hourly".*\} \S+$/m);
    });

    it('a Pushgateway that is down is a warning naming it, without its password; the exit code still says what the scan found', async () => {
      const port = await freePort();
      const run = await runCli(['scan', demo, '--tier', 'hourly', '--state-dir', tempDir(), '--pushgateway', `http://user:secret@127.0.0.1:${port}`]);
      expect(run.code).toBe(1); // the truncated backup among the newest
      expect(run.stderr).toContain(`restorable: warning: the metrics were not pushed: pushgateway http://***@127.0.0.1:${port}/`);
      expect(run.stderr + run.stdout).not.toContain('secret');
    });
  });
});
