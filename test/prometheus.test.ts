import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { bytes, tempDir } from './helpers/fixtures.js';

const RULES = fileURLToPath(new URL('../deploy/prometheus-rules.yaml', import.meta.url));
const DASHBOARD = fileURLToPath(new URL('../deploy/grafana-dashboard.json', import.meta.url));

/** Polls `probe` until it returns a value, for up to `ms` (generous: the machine may be busy). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

/**
 * Prometheus 2.42, node_exporter 1.5 and Alertmanager 0.25 (Debian's), on loopback:
 * node_exporter's textfile collector serves what real scans wrote (two
 * tiers' files side by side, as deploy/restorable.service writes them), and
 * Prometheus evaluates the project's rules over it.
 */
describe('Prometheus with the shipped rules, over the textfiles real scans wrote, through node_exporter', () => {
  const state = tempDir('restorable-prom-state-');
  const textfiles = tempDir('restorable-textfiles-');
  const prom = (tier: string) => join(textfiles, `restorable-${tier}.prom`);
  let exporter: ChildProcess;
  let prometheus: ChildProcess;
  let alertmanager: ChildProcess;
  let api: string;
  /** what Alertmanager delivered to its webhook: each notification's status and alerts */
  const notified: { status: string; alerts: { status: string; labels: Record<string, string> }[] }[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      notified.push(JSON.parse(body));
      res.end();
    });
  });

  const freePort = async () => {
    const free = createServer();
    const port = await listen(free);
    await new Promise<void>((r) => free.close(() => r()));
    return port;
  };

  beforeAll(async () => {
    const target = await freePort();
    exporter = spawn('prometheus-node-exporter', ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${textfiles}`, `--web.listen-address=127.0.0.1:${target}`], { stdio: 'ignore' });
    await until('node_exporter to answer', async () => ((await fetch(`http://127.0.0.1:${target}/metrics`)).ok ? true : undefined), 60_000);
    const port = await freePort();
    const dir = tempDir('restorable-prometheus-');
    // Alertmanager 0.25, routing every alert to a webhook on loopback, resolutions too.
    const hookPort = await listen(hook);
    const amPort = await freePort();
    const amConfig = join(dir, 'alertmanager.yml');
    writeFileSync(amConfig, `route: { receiver: hook, group_by: [alertname, folder, backup], group_wait: 1s, group_interval: 1s, repeat_interval: 1h }\nreceivers:\n  - name: hook\n    webhook_configs: [{ url: "http://127.0.0.1:${hookPort}/alerts", send_resolved: true }]\n`);
    alertmanager = spawn('prometheus-alertmanager', [`--config.file=${amConfig}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address='], { stdio: 'ignore' });
    await until('Alertmanager to be ready', async () => ((await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok ? true : undefined), 60_000);
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ["${RULES}"]\nalerting: { alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:${amPort}"] }] }] }\nscrape_configs:\n  - job_name: node\n    static_configs: [{ targets: ["127.0.0.1:${target}"] }]\n`);
    prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    api = `http://127.0.0.1:${port}`;
    await until('Prometheus to be ready', async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined), 60_000);
  }, 90_000);

  afterAll(async () => {
    prometheus?.kill();
    exporter?.kill();
    alertmanager?.kill();
    await new Promise<void>((r) => hook.close(() => r()));
  });

  /** Whether Alertmanager's webhook has heard of the backup's alert in that status. */
  const heard = (name: string, backup: string, status: 'firing' | 'resolved') => notified.some((n) => n.alerts.some((a) => a.status === status && a.labels.alertname === name && a.labels.backup === backup));

  /** A PromQL query's first value, or undefined when there is none. */
  const query = async (expr: string) => {
    const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: { value: [number, string] }[] } };
    return body.data.result[0]?.value[1];
  };

  /** The alerts of that name Prometheus holds now. */
  const firing = async (name = 'BackupIntegrityFailure') => {
    const body = (await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
    return body.data.alerts.filter((a) => a.labels.alertname === name);
  };

  it('fires BackupIntegrityFailure naming the damaged backup, keeps it through an hourly run, and resolves it after a repair', async () => {
    const dir = tempDir();
    const file = join(dir, 'site.tar.gz');
    const good = bytes('site', 200_000);
    writeFileSync(file, good);
    expect((await runCli(['manifest', file])).code).toBe(0);
    const damaged = Buffer.from(good);
    damaged[5000] = damaged[5000]! ^ 0xff;
    writeFileSync(file, damaged);
    const scan = (tier: string) => runCli(['scan', dir, '--tier', tier, '--state-dir', state, '--metrics-file', prom(tier)]);
    expect((await scan('daily')).code).toBe(1);
    const alerts = await until('the alert to fire', async () => {
      const a = await firing();
      return a.some((x) => x.state === 'firing') ? a : undefined;
    });
    expect(alerts[0]!.labels).toMatchObject({ folder: dir, backup: 'site.tar.gz', status: 'hash_mismatch', severity: 'critical' });
    // Through Alertmanager to its webhook, as an on-call pager would get it.
    await until('Alertmanager to notify the webhook', async () => (heard('BackupIntegrityFailure', 'site.tar.gz', 'firing') ? true : undefined));

    // Every panel of the shipped Grafana dashboard is a query this Prometheus runs; the failing count is 1.
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    for (const p of dashboard.panels) {
      const answer = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(p.targets[0]!.expr)}`)).json()) as { status: string; data: { result: { value: [number, string] }[] } };
      expect(answer.status, p.title).toBe('success');
      if (p.title === 'Failing backups') expect(answer.data.result[0]?.value[1]).toBe('1');
    }

    // An hourly size check writes its own file beside the daily one, with the same state: the alert stays,
    // and node_exporter reads both files without a collision (every series carries its tier).
    expect((await scan('hourly')).code).toBe(1);
    await until('the hourly textfile to be scraped', async () => ((await query('restorable_backup_failing{tier="hourly"}')) === '1' ? true : undefined));
    expect(await query('node_textfile_scrape_error')).toBe('0');
    expect((await firing()).map((a) => a.state)).toEqual(['firing']); // one per backup, whatever the number of tiers

    // Acknowledged: the critical alert gives way to the acknowledged one.
    expect((await runCli(['ack', file, '--state-dir', state, '--comment', 'restoring'])).code).toBe(0);
    expect((await scan('hourly')).code).toBe(1);
    await until('the acknowledged alert', async () => ((await firing()).length === 0 && (await firing('BackupIntegrityFailureAcknowledged')).some((a) => a.state === 'firing') ? true : undefined));
    // Alertmanager tells of a resolution only of an alert it has told of: wait for that first.
    await until('Alertmanager to notify the acknowledged alert', async () => (heard('BackupIntegrityFailureAcknowledged', 'site.tar.gz', 'firing') ? true : undefined));

    writeFileSync(file, good);
    expect((await scan('daily')).code).toBe(0);
    await until('the alerts to resolve', async () => ((await firing()).length === 0 && (await firing('BackupIntegrityFailureAcknowledged')).length === 0 ? true : undefined));
    await until('Alertmanager to send the resolution', async () => (heard('BackupIntegrityFailureAcknowledged', 'site.tar.gz', 'resolved') ? true : undefined));
    expect(heard('BackupIntegrityFailure', 'site.tar.gz', 'resolved')).toBe(true); // resolved when the acknowledgement took over
  }, 180_000);
});
