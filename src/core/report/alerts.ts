import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isIntegrityFailure, type CheckResult } from '../events/types.js';
import { RestorableError, fsError, isFsError } from '../errors.js';
import { parseJsonFile } from '../manifest/safe-json.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import { regionLine } from '../../output/report.js';
import { redactUrl } from './metrics.js';
import { withRetries as retry } from '../retry.js';

/** Up to 3 tries, waiting 0.5 s then 1 s between them. */
const withRetries = (send: () => Promise<void>) => retry(send, { tries: 3, baseMs: 500 });

/**
 * Alerts on a change of state, not on every run: a backup that starts
 * failing triggers, one that passes again resolves. The state lives in the
 * state folder (alerts.json). A channel that fails is retried with backoff
 * and reported; it never stops the scan. Secrets never reach the output.
 */

export interface AlertChannels {
  webhook?: string;
  pagerdutyKey?: string;
  pagerdutyUrl?: string;
  /** smtp://user:pass@host:port (STARTTLS when the server offers it) */
  smtp?: string;
  mailTo?: string;
  mailFrom?: string;
}

export interface AlertEvent {
  action: 'trigger' | 'resolve';
  backup: string;
  check: string;
  status: string;
  /** what failed and where: regions, members, first findings */
  details: string[];
}

/** What the alert says: the backup, the check, what failed and where. */
export function describeFailure(r: CheckResult): string[] {
  const lines = (r.regions ?? []).slice(0, 5).map((x) => `${regionLine(x, true)}${x.members?.length ? ` in ${x.members[0]}` : ''}`);
  if (r.salvage) lines.push(`reading stops at byte ${r.salvage.compressedOffset}${r.salvage.member ? ` in ${r.salvage.member}` : ''}; ${r.salvage.recoverableMembers} members recoverable`);
  for (const f of r.findings.filter((x) => x.severity === 'error').slice(0, 3)) lines.push(f.message);
  return lines;
}

/** Which backups were failing when the last alerts went out: { backup: true }. A damaged file is an error naming it, never a crash. */
async function readAlertState(file: string): Promise<Record<string, boolean>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return {};
    throw fsError(err, file);
  }
  if (text.trim() === '') return {};
  const value = parseJsonFile(file, text);
  const valid = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'boolean');
  if (!valid) throw new RestorableError(`${file}: not the alert state restorable writes ({"BACKUP": true, …}); move it aside to start afresh (every failing backup is then alerted again)`);
  return value as Record<string, boolean>;
}

/** Compares this run's results with the last known state: the alerts to send. */
export async function stateChanges(stateDir: string, check: string, results: CheckResult[]): Promise<AlertEvent[]> {
  const file = join(stateDir, 'alerts.json');
  const state = await readAlertState(file);
  const events: AlertEvent[] = [];
  for (const r of results) {
    const failing = isIntegrityFailure(r.status);
    // A copy in a location has a state of its own, apart from scans of the same file.
    const key = r.copy ? `${r.copy.location}:${r.file}` : r.file;
    const was = state[key] === true;
    if (failing && !was) events.push({ action: 'trigger', backup: r.file, check, status: r.status, details: describeFailure(r) });
    if (!failing && was && r.status === 'verified') events.push({ action: 'resolve', backup: r.file, check, status: r.status, details: [] });
    if (failing) state[key] = true;
    else if (r.status === 'verified') delete state[key];
  }
  await atomicWrite(file, `${JSON.stringify(state, null, 1)}\n`, { overwrite: true });
  return events;
}

/** POSTs JSON; credentials in the URL (https://user:pass@host/…) go as Basic auth, as fetch will not send them itself. */
async function post(url: string, body: unknown): Promise<void> {
  const u = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (u.username || u.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  const res = await fetch(u, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

/**
 * An error message with every secret of the channels taken out: the URLs
 * (a webhook's path is its secret), keys and passwords, and the user
 * information of any URL in it. Libraries quote the URL they failed on.
 */
function withoutSecrets(message: string, channels: AlertChannels): string {
  const secrets: string[] = [];
  for (const url of [channels.webhook, channels.smtp, channels.pagerdutyUrl]) {
    if (!url) continue;
    secrets.push(url);
    try {
      const u = new URL(url);
      secrets.push(u.pathname.length > 1 ? u.pathname : '', decodeURIComponent(u.password), u.password);
    } catch {
      // an invalid URL is taken out whole, above
    }
  }
  if (channels.pagerdutyKey) secrets.push(channels.pagerdutyKey);
  let out = message;
  for (const s of secrets.filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(s).join('…');
  return out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1…@');
}

async function mail(smtp: string, from: string, to: string, subject: string, text: string): Promise<void> {
  const { createTransport } = await import('nodemailer');
  // nodemailer upgrades with STARTTLS whenever the server offers it (and checks the certificate).
  const transport = createTransport(smtp);
  try {
    await transport.sendMail({ from, to, subject, text });
  } finally {
    transport.close();
  }
}

function eventText(e: AlertEvent): string {
  const title = e.action === 'trigger' ? `✗ backup ${basename(e.backup)} failed its ${e.check} check: ${e.status.replace(/_/g, ' ')}` : `✓ backup ${basename(e.backup)} passes its ${e.check} check again`;
  return [title, e.backup, ...e.details.map((d) => `• ${d}`)].join('\n');
}

/** One message for a whole scan: people get one notification per run, not one per backup. */
function digest(events: AlertEvent[]): { subject: string; text: string } {
  const failing = events.filter((e) => e.action === 'trigger').length;
  const fixed = events.length - failing;
  const parts = [failing ? `${failing} backup${failing === 1 ? '' : 's'} failing` : '', fixed ? `${fixed} passing again` : ''].filter(Boolean);
  const subject = events.length === 1 ? eventText(events[0]!).split('\n')[0]! : `restorable: ${parts.join(', ')}`;
  return { subject, text: events.map(eventText).join('\n\n') };
}

function pagerdutyBody(key: string, e: AlertEvent): unknown {
  return {
    routing_key: key,
    event_action: e.action,
    dedup_key: `restorable:${e.backup}`,
    ...(e.action === 'trigger'
      ? { payload: { summary: `Backup ${basename(e.backup)} failed its ${e.check} check (${e.status})`, source: e.backup, severity: 'critical', custom_details: { backup: e.backup, check: e.check, status: e.status, details: e.details } } }
      : {}),
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(an invalid URL)';
  }
}

/** Sends every event on every configured channel; returns one line per channel that failed. */
export async function sendAlerts(events: AlertEvent[], channels: AlertChannels): Promise<string[]> {
  const problems: string[] = [];
  if (events.length === 0) return problems;
  const { subject, text } = digest(events);
  if (channels.webhook) {
    const url = channels.webhook;
    // A webhook's path is its secret: name only where it goes.
    await withRetries(() => post(url, { text: events.length === 1 ? text : `${subject}\n\n${text}` })).catch((err: Error) => problems.push(`webhook ${originOf(url)}/…: ${withoutSecrets(err.message, channels)}`));
  }
  if (channels.smtp && channels.mailTo) {
    const smtp = channels.smtp;
    await withRetries(() => mail(smtp, channels.mailFrom ?? 'restorable@localhost', channels.mailTo!, subject, text)).catch((err: Error) => problems.push(`mail via ${redactUrl(smtp)}: ${withoutSecrets(err.message, channels)}`));
  }
  // PagerDuty deduplicates by key: one event per backup, so each can be resolved on its own.
  if (channels.pagerdutyKey) {
    const url = channels.pagerdutyUrl ?? 'https://events.pagerduty.com/v2/enqueue';
    const key = channels.pagerdutyKey;
    for (const e of events) {
      await withRetries(() => post(url, pagerdutyBody(key, e))).catch((err: Error) => problems.push(`PagerDuty ${redactUrl(url)}: ${withoutSecrets(err.message, channels)}`));
    }
  }
  return problems;
}
