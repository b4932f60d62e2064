import { printable } from '../output/format.js';
import type { Command } from 'commander';
import type { CheckResult } from '../core/events/types.js';
import type { AlertChannels } from '../core/report/alerts.js';

/** The alert options `scan`, `watch` and `locations` share (DESIGN section 7). */
export function alertOptions(command: Command): Command {
  return command
    .option('--webhook <url>', 'alert a Slack-compatible webhook when a backup starts or stops failing (or RESTORABLE_WEBHOOK_URL)')
    .option('--pagerduty-key <key>', 'alert PagerDuty (Events API v2) on a change of state (or RESTORABLE_PAGERDUTY_KEY)')
    .option('--pagerduty-url <url>', 'another Events API endpoint')
    .option('--smtp <url>', 'alert by email: smtp://user:pass@host:port, STARTTLS when offered (or RESTORABLE_SMTP_URL)')
    .option('--mail-to <address>', 'who gets the email alerts')
    .option('--mail-from <address>', 'the sender of the email alerts');
}

/** Options first, then the environment, then the config file's `alerts` section. */
export function resolveChannels(flags: AlertChannels, raw: Record<string, unknown>): AlertChannels {
  const alerts = (raw.alerts ?? {}) as { webhook?: string; pagerduty_key?: string; pagerduty_url?: string; smtp?: string; mail_to?: string; mail_from?: string };
  return {
    webhook: flags.webhook ?? process.env.RESTORABLE_WEBHOOK_URL ?? alerts.webhook,
    pagerdutyKey: flags.pagerdutyKey ?? process.env.RESTORABLE_PAGERDUTY_KEY ?? alerts.pagerduty_key,
    pagerdutyUrl: flags.pagerdutyUrl ?? alerts.pagerduty_url,
    smtp: flags.smtp ?? process.env.RESTORABLE_SMTP_URL ?? alerts.smtp,
    mailTo: flags.mailTo ?? alerts.mail_to,
    mailFrom: flags.mailFrom ?? alerts.mail_from,
  };
}

/** Alerts for what changed state since the last run; a channel that fails is reported on stderr, never fatal. */
export async function deliverAlerts(stateDir: string, check: string, results: CheckResult[], channels: AlertChannels): Promise<void> {
  const { sendAlerts, stateChanges } = await import('../core/report/alerts.js');
  const events = await stateChanges(stateDir, check, results);
  if (channels.webhook || channels.pagerdutyKey || (channels.smtp && channels.mailTo)) {
    for (const problem of await sendAlerts(events, channels)) process.stderr.write(`restorable: alert not delivered: ${printable(problem)}\n`);
  }
}
