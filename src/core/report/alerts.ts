import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { CheckResult } from '../events/types.js';
import { OUTBOX_DAYS, type AlertRecord, type AlertState } from './alert-state.js';
import { regionLine } from '../../output/report.js';
import { regionFinding } from '../checks/blocks.js';
import { redactUrl } from './metrics.js';
import { withRetries as retry } from '../retry.js';

/** Up to 3 tries, waiting 0.5 s then 1 s between them. */
const withRetries = (send: () => Promise<void>) => retry(send, { tries: 3, baseMs: 500 });

/**
 * The alert channels: a Slack-compatible webhook, email, PagerDuty. What to
 * send comes from the outbox (alert-state.ts); a channel that fails is
 * retried with backoff, reported, and tried again on the next run; it never
 * stops the scan. Secrets never reach the output.
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

/** What the alert says: the backup, the check, what failed and where. */
export function describeFailure(r: CheckResult): string[] {
  const regions = r.regions ?? [];
  const lines = regions.slice(0, 5).map((x) => `${regionLine(x, true)}${x.members?.length ? ` in ${x.members[0]}` : ''}`);
  if (regions.length > 5) lines.push(`and ${regions.length - 5} more damaged regions`);
  if (r.salvage) lines.push(`reading stops at byte ${r.salvage.compressedOffset}${r.salvage.member ? ` in ${r.salvage.member}` : ''}; ${r.salvage.recoverableMembers} members recoverable`);
  // Each region once: the findings that restate a region listed above are left out.
  const restated = new Set(regions.map((x) => regionFinding(x).message));
  const errors = r.findings.filter((x) => x.severity === 'error' && !restated.has(x.message));
  for (const f of errors.slice(0, 3)) lines.push(f.message);
  return lines;
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

function eventText(e: AlertRecord): string {
  if (e.key.startsWith('storage:')) {
    const where = e.key.slice('storage:'.length);
    const title = e.action === 'trigger' ? `! storage location ${where} cannot be read` : e.action === 'resolve' ? `✓ storage location ${where} can be read again` : `· storage location ${where}: acknowledged`;
    return [title, `raised ${e.at}`, ...e.details.map((d) => `• ${d}`)].join('\n');
  }
  const title =
    e.action === 'trigger'
      ? `✗ backup ${basename(e.backup)} failed its ${e.check} check: ${e.status.replace(/_/g, ' ')}`
      : e.action === 'resolve'
        ? `✓ backup ${basename(e.backup)} passes its ${e.check} check again`
        : `· backup ${basename(e.backup)}: failure acknowledged`;
  // An alert that waited for a channel says when it was raised.
  return [title, e.backup, `raised ${e.at}`, ...e.details.map((d) => `• ${d}`)].join('\n');
}

/** One message for a whole scan: people get one notification per run, not one per backup. */
function digest(events: AlertRecord[]): { subject: string; text: string } {
  const failing = events.filter((e) => e.action === 'trigger' && !e.key.startsWith('storage:')).length;
  const down = events.filter((e) => e.action === 'trigger' && e.key.startsWith('storage:')).length;
  const fixed = events.filter((e) => e.action === 'resolve').length;
  const parts = [failing ? `${failing} backup${failing === 1 ? '' : 's'} failing` : '', down ? `${down} storage location${down === 1 ? '' : 's'} unreadable` : '', fixed ? `${fixed} passing again` : ''].filter(Boolean);
  const subject = events.length === 1 ? eventText(events[0]!).split('\n')[0]! : `restorable: ${parts.join(', ')}`;
  return { subject, text: events.map(eventText).join('\n\n') };
}

/**
 * One incident per backup per host: PagerDuty takes at most 255 characters
 * of dedup_key, and the same path on two hosts is two backups.
 */
export function dedupKey(key: string, host = hostname()): string {
  return `restorable-${createHash('sha256').update(`${host}\0${key}`).digest('hex').slice(0, 40)}`;
}

function pagerdutyBody(routingKey: string, e: AlertRecord): unknown {
  return {
    routing_key: routingKey,
    event_action: e.action,
    dedup_key: dedupKey(e.key),
    ...(e.action === 'trigger'
      ? { payload: { summary: (e.key.startsWith('storage:') ? `Storage location ${e.backup} cannot be read` : `Backup ${basename(e.backup)} failed its ${e.check} check (${e.status})`).slice(0, 1024), source: hostname(), severity: e.key.startsWith('storage:') ? 'error' : 'critical', timestamp: e.at, custom_details: { backup: e.backup, key: e.key, check: e.check, status: e.status, details: e.details } } }
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

type Channel = 'webhook' | 'mail' | 'pagerduty';

function configured(channels: AlertChannels): Channel[] {
  return [channels.webhook ? 'webhook' : '', channels.smtp && channels.mailTo ? 'mail' : '', channels.pagerdutyKey ? 'pagerduty' : ''].filter(Boolean) as Channel[];
}

/** Whether a configured channel still owes this alert. */
const owes = (a: AlertRecord, c: Channel) => !a.delivered[c] && (!a.only || a.only.includes(c));

/**
 * Sends what the outbox holds for each configured channel and marks what
 * each channel accepted; what failed stays for the next run. Alerts every
 * channel has taken leave the outbox; one waiting longer than OUTBOX_DAYS
 * is given up, and said so. Returns one line per problem.
 */
export async function deliverOutbox(state: AlertState, channels: AlertChannels, now = new Date()): Promise<string[]> {
  const problems: string[] = [];
  const active = configured(channels);
  const at = now.toISOString();
  const batch = async (c: Channel, send: (pending: AlertRecord[]) => Promise<void>, where: string) => {
    const pending = state.outbox.filter((a) => owes(a, c));
    if (pending.length === 0) return;
    await withRetries(() => send(pending)).then(
      () => pending.forEach((a) => (a.delivered[c] = at)),
      (err: Error) => problems.push(`${where}: ${withoutSecrets(err.message, channels)} (${pending.length} alert${pending.length === 1 ? '' : 's'} kept for the next run)`),
    );
  };
  if (channels.webhook) {
    const url = channels.webhook;
    // A webhook's path is its secret: name only where it goes. One message per run.
    await batch('webhook', (pending) => {
      const { subject, text } = digest(pending);
      return post(url, { text: pending.length === 1 ? text : `${subject}\n\n${text}` });
    }, `webhook ${originOf(url)}/…`);
  }
  if (channels.smtp && channels.mailTo) {
    const smtp = channels.smtp;
    await batch('mail', (pending) => {
      const { subject, text } = digest(pending);
      return mail(smtp, channels.mailFrom ?? 'restorable@localhost', channels.mailTo!, subject, text);
    }, `mail via ${redactUrl(smtp)}`);
  }
  // PagerDuty deduplicates by key: one event per backup, so each can be resolved on its own.
  if (channels.pagerdutyKey) {
    const url = channels.pagerdutyUrl ?? 'https://events.pagerduty.com/v2/enqueue';
    const key = channels.pagerdutyKey;
    for (const a of state.outbox.filter((x) => owes(x, 'pagerduty'))) {
      await withRetries(() => post(url, pagerdutyBody(key, a))).then(
        () => (a.delivered.pagerduty = at),
        (err: Error) => problems.push(`PagerDuty ${redactUrl(url)}: ${withoutSecrets(err.message, channels)} (kept for the next run)`),
      );
    }
  }
  const oldest = now.getTime() - OUTBOX_DAYS * 86_400_000;
  state.outbox = state.outbox.filter((a) => {
    if (!active.some((c) => owes(a, c))) return false;
    if (Date.parse(a.at) >= oldest) return true;
    problems.push(`gave up the ${a.action} alert for ${a.backup} raised ${a.at}: not delivered in ${OUTBOX_DAYS} days`);
    return false;
  });
  return problems;
}
