import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/fixtures.js';
import { runTool } from './helpers/tools.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const deploy = (name: string) => join(root, 'deploy', name);

interface Container {
  image: string;
  args: string[];
  env: { name: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

const cronJobs = parseAllDocuments(readFileSync(deploy('kubernetes-cronjob.yaml'), 'utf8')).map((d) => d.toJS() as { metadata: { name: string }; spec: any });
const container = (job: (typeof cronJobs)[number]): Container => job.spec.jobTemplate.spec.template.spec.containers[0];
const daily = cronJobs.find((j) => j.metadata.name === 'restorable-daily')!;
const weekly = cronJobs.find((j) => j.metadata.name === 'restorable-weekly')!;

/** A loopback webhook receiver. */
async function receiver() {
  const got: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push(JSON.parse(body).text);
      res.end('ok');
    });
  });
  const url = await new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/hook`)));
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The container's args with its volumes mapped to folders here and $(VAR) filled in, as the kubelet does. */
function argsHere(c: Container, mounts: Record<string, string>, env: Record<string, string> = {}): string[] {
  return c.args.map((a) => {
    const out = a.replace(/\$\((\w+)\)/g, (_, v: string) => env[v] ?? '');
    // Each path is mapped once, by the mount it lies under.
    const mount = Object.keys(mounts).find((from) => out === from || out.startsWith(`${from}/`));
    return mount ? mounts[mount] + out.slice(mount.length) : out;
  });
}

/** As a user without privileges, as the pod runs (root ignores file modes). */
const unprivileged = process.getuid?.() === 0 ? ['unshare', '--user'] : [];

describe('the Kubernetes CronJobs', () => {
  it('validate against the Kubernetes schemas, and a broken one does not', () => {
    expect(cronJobs).toHaveLength(2);
    for (const job of cronJobs) expect(() => new CronJob(job as never).validate()).not.toThrow();
    const broken = structuredClone(daily);
    broken.spec.jobTemplate.spec.template.spec.containers[0].volumeMounts[0].readOnly = 'yes';
    expect(() => new CronJob(broken as never).validate()).toThrow(/readOnly/);
  });

  it('run without privileges on a read-only root, with resources, the backups read-only, every alert setting from the Secret', () => {
    for (const job of cronJobs) {
      const c = container(job);
      const pod = job.spec.jobTemplate.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits?.memory).toBeDefined();
      expect(c.volumeMounts.find((m) => m.mountPath === '/backups')).toMatchObject({ readOnly: true });
      // Nothing is written to the read-only backups (no --results-file); /state and /tmp are writable.
      expect(c.args).not.toContain('--results-file');
      expect(c.volumeMounts.map((m) => m.mountPath)).toEqual(expect.arrayContaining(['/state', '/tmp']));
      expect(c.env.map((e) => e.name).sort()).toEqual(['RESTORABLE_MAIL_FROM', 'RESTORABLE_MAIL_TO', 'RESTORABLE_PAGERDUTY_KEY', 'RESTORABLE_SMTP_URL', 'RESTORABLE_WEBHOOK_URL']);
    }
    expect(weekly.spec.jobTemplate.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
  });

  it('the image is built from the repository: the Dockerfile copies what exists and runs the CLI, as a user without privileges', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) for (const path of m[1]!.split(/\s+/)) expect(existsSync(join(root, path)), path).toBe(true);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/opt\/restorable\/bin\/restorable\.js"\]$/m);
    expect(container(daily).image).toBe('restorable:latest');
  });

  it("the daily job's command, run as the YAML says against a read-only folder with a damaged backup: exit 1, metrics written, the alert sent", async () => {
    const backups = tempDir();
    expect((await runCli(['demo', backups, '--json'])).code).toBeLessThan(3);
    const state = tempDir();
    const tmp = tempDir();
    for (const name of readdirSync(backups)) chmodSync(join(backups, name), 0o444);
    chmodSync(backups, 0o555);
    const hook = await receiver();
    try {
      const run = await runCli(argsHere(container(daily), { '/backups': backups, '/state': state, '/tmp': tmp }), { as: unprivileged, env: { RESTORABLE_WEBHOOK_URL: hook.url, TMPDIR: tmp } });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stderr).not.toMatch(/warning/);
      expect(readFileSync(join(state, 'restorable.prom'), 'utf8')).toMatch(/^restorable_backups_failing\{tier="daily"\} 2$/m);
      expect(hook.got).toHaveLength(1);
      expect(hook.got[0]).toMatch(/^restorable: 2 backups failing/);
    } finally {
      chmodSync(backups, 0o755);
      await hook.close();
    }
  });

  it("the weekly Indexed Job's pods split the backups between them, each exactly once", async () => {
    const backups = tempDir();
    await runCli(['demo', backups, '--json']);
    const config = join(tempDir(), 'every.yaml');
    // The same job, with the tier checking every backup so that the split is visible.
    writeFileSync(config, 'tiers:\n  weekly: { check: quick }\n');
    const state = tempDir();
    const seen: string[] = [];
    for (let index = 0; index < 4; index++) {
      const args = argsHere(container(weekly), { '/backups': backups, '/state': state }, { JOB_COMPLETION_INDEX: String(index) });
      const run = await runCli([...args, '--config', config, '--json'], { env: { JOB_COMPLETION_INDEX: String(index) } });
      // 1 where the shard holds a damaged backup, 2 where it holds the one without a manifest.
      expect([0, 1, 2], run.stderr).toContain(run.code);
      seen.push(...parseJsonOutput(run).results.map((r) => r.file as string));
      expect(existsSync(join(state, `restorable-weekly-${index}.prom`))).toBe(true);
    }
    expect(seen.sort()).toEqual(readdirSync(backups).filter((n) => /\.(tar\.gz|sql\.gz)$/.test(n)).map((n) => join(backups, n)).sort());
    // The fourth pod merged the four ledger segments into one ledger that knows every backup.
    expect(readdirSync(join(state, 'ledger.d')).filter((n) => n.endsWith('.json'))).toEqual([]);
    const status = JSON.parse((await runCli(['status', '--state-dir', state, '--json'])).stdout) as { backups: { backup: string }[] };
    expect(status.backups.map((b) => b.backup).sort()).toEqual(seen.sort());
  });

  it('--shard N without JOB_COMPLETION_INDEX is a usage error (exit 2), never a silent full scan', async () => {
    const run = await runCli(['scan', tempDir(), '--shard', '4'], { env: { JOB_COMPLETION_INDEX: undefined as unknown as string } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('takes its index from JOB_COMPLETION_INDEX');
  });
});

describe('the systemd units', () => {
  it('pass systemd-analyze verify, and write metrics where Debian\'s node_exporter reads them, tolerating its absence', () => {
    const run = runTool('systemd-analyze', ['verify', deploy('restorable.service'), deploy('restorable.timer')]);
    expect(run.status, run.stderr).toBe(0);
    const unit = readFileSync(deploy('restorable.service'), 'utf8');
    expect(unit).toContain('--metrics-file /var/lib/prometheus/node-exporter/restorable-daily.prom');
    expect(unit).toMatch(/^ReadWritePaths=.* -\/var\/lib\/prometheus\/node-exporter$/m);
  });
});

describe('the Prometheus operator and Grafana', () => {
  it('tools/prometheus-rule.mjs prints the rules file as a PrometheusRule, the same rules promtool accepts', () => {
    const out = runTool(process.execPath, [join(root, 'tools', 'prometheus-rule.mjs'), '--namespace', 'monitoring']);
    expect(out.status, out.stderr).toBe(0);
    const resource = parseAllDocuments(out.stdout)[0]!.toJS();
    expect(resource).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'restorable', namespace: 'monitoring' } });
    expect(resource.spec.groups).toEqual(parseAllDocuments(readFileSync(deploy('prometheus-rules.yaml'), 'utf8'))[0]!.toJS().groups);
    const groups = join(tempDir(), 'groups.yaml');
    writeFileSync(groups, JSON.stringify({ groups: resource.spec.groups }));
    expect(runTool('promtool', ['check', 'rules', groups]).stdout).toContain('SUCCESS: 8 rules found');
  });

  it('the Grafana dashboard shows failing backups, coverage, verification age, bytes verified and restore times', () => {
    const dashboard = JSON.parse(readFileSync(deploy('grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.map((p) => p.targets[0]!.expr).join('\n');
    for (const metric of ['restorable_backups_failing', 'restorable_coverage_ratio', 'restorable_last_success_timestamp_seconds', 'restorable_verified_bytes_total', 'restorable_restore_duration_seconds']) expect(exprs).toContain(metric);
    // Its queries are run against a real Prometheus in prometheus.test.ts.
  });
});
