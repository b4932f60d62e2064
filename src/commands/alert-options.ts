import { printable } from '../output/format.js';
import type { Command } from 'commander';
import type { CheckResult } from '../core/events/types.js';
import type { AlertChannels } from '../core/report/alerts.js';
import type { Observed } from '../core/report/alert-state.js';
import type { Ledger } from '../core/schedule/ledger.js';

/** The alert options `scan`, `watch` and `locations` share (DESIGN section 7). */
export function alertOptions(command: Command): Command {
  return command
    .option('--webhook <url>', 'alert a Slack-compatible webhook when a backup starts or stops failing (or RESTORABLE_WEBHOOK_URL)')
    .option('--pagerduty-key <key>', 'alert PagerDuty (Events API v2) on a change of state (or RESTORABLE_PAGERDUTY_KEY)')
    .option('--pagerduty-url <url>', 'another Events API endpoint')
    .option('--smtp <url>', 'alert by email: smtp://user:pass@host:port, STARTTLS when offered (or RESTORABLE_SMTP_URL)')
    .option('--mail-to <address>', 'who gets the email alerts (or RESTORABLE_MAIL_TO)')
    .option('--mail-from <address>', 'the sender of the email alerts (or RESTORABLE_MAIL_FROM)');
}

/** Options first, then the environment, then the config file's `alerts` section. */
export function resolveChannels(flags: AlertChannels, raw: Record<string, unknown>): AlertChannels {
  const alerts = (raw.alerts ?? {}) as { webhook?: string; pagerduty_key?: string; pagerduty_url?: string; smtp?: string; mail_to?: string; mail_from?: string };
  return {
    webhook: flags.webhook ?? process.env.RESTORABLE_WEBHOOK_URL ?? alerts.webhook,
    pagerdutyKey: flags.pagerdutyKey ?? process.env.RESTORABLE_PAGERDUTY_KEY ?? alerts.pagerduty_key,
    pagerdutyUrl: flags.pagerdutyUrl ?? alerts.pagerduty_url,
    smtp: flags.smtp ?? process.env.RESTORABLE_SMTP_URL ?? alerts.smtp,
    mailTo: flags.mailTo ?? process.env.RESTORABLE_MAIL_TO ?? alerts.mail_to,
    mailFrom: flags.mailFrom ?? process.env.RESTORABLE_MAIL_FROM ?? alerts.mail_from,
  };
}

/** Whether any channel is set up to receive alerts. */
function anyChannel(c: AlertChannels): boolean {
  return Boolean(c.webhook || c.pagerdutyKey || (c.smtp && c.mailTo));
}

/**
 * What a run observed, each backup (or copy) in the one state the ledger
 * gives it: a failure stays until a check as strong clears it. A result the
 * ledger does not hold (a folder that could not be read) speaks for itself.
 */
export async function observedFrom(results: CheckResult[], ledger: Ledger): Promise<Observed[]> {
  const { describeFailure } = await import('../core/report/alerts.js');
  const { isFailing } = await import('../core/schedule/strength.js');
  return results.map((r) => {
    const fromLedger = r.copy ? ledger.copyState(r.copy.backup, r.copy.location) : ledger.state(r.file);
    return {
      // A copy in a location has a state of its own, apart from scans of the same file.
      key: r.copy ? `${r.copy.location}:${r.file}` : r.file,
      backup: r.file,
      state: fromLedger ?? { status: r.status, failing: isFailing(r.status), check: r.checks[0] ?? 'check', at: r.checkedAt },
      details: () => describeFailure(r),
    };
  });
}

/**
 * Each storage location a `locations` run asked for copies, as a state of
 * its own: one that could not be read at all is alerted once (not as
 * damage), and resolved when it can be read again.
 */
export async function storageObserved(results: CheckResult[]): Promise<Observed[]> {
  const { locationReach } = await import('../core/report/location-metrics.js');
  const at = new Date().toISOString();
  return [...locationReach(results)].map(([location, r]) => ({
    key: `storage:${location}`,
    backup: location,
    state: { status: r.up ? 'verified' : 'unreachable', failing: !r.up, check: 'storage', at, detail: r.reason },
    details: () => (r.reason ? [r.reason] : []),
  }));
}

/**
 * Every backup and copy the ledger knows, as runs observe them: what a
 * merge of sharded runs decides alerts from, once for all shards. The keys
 * are those a single run uses, so a backup alerted by an unsharded run is
 * not alerted again.
 */
export function observedInLedger(ledger: Ledger): Observed[] {
  const out: Observed[] = [];
  for (const [file] of ledger.all()) {
    const state = ledger.state(file);
    if (state) out.push({ key: file, backup: file, state, details: () => (state.detail ? [state.detail] : []) });
  }
  for (const [backup, copies] of ledger.copyRecords()) {
    for (const [location, last] of Object.entries(copies)) {
      const where = last.where ?? backup;
      const state = ledger.copyState(backup, location)!;
      out.push({ key: `${location}:${where}`, backup: where, state, details: () => (state.detail ? [state.detail] : []) });
      if (last.lock) out.push(lockObservation(location, where, last.lock === 'ok' ? undefined : last.lock, last.timestamp));
    }
  }
  return out;
}

/**
 * Each copy's Object Lock where its location's policy asks for one, as a
 * state of its own beside the copy's integrity: a copy that is not locked
 * as it should be is alerted once, and resolved when it is.
 */
export function lockObserved(results: CheckResult[]): Observed[] {
  return results.flatMap((r) => (r.copy?.lock ? [lockObservation(r.copy.location, r.file, r.copy.lock.problem, r.checkedAt)] : []));
}

/** A copy's lock as a state of its own: failing while `problem` says how it falls short of the policy. */
function lockObservation(location: string, where: string, problem: string | undefined, at: string): Observed {
  return {
    key: `lock:${location}:${where}`,
    backup: where,
    state: { status: problem ? 'unlocked' : 'verified', failing: Boolean(problem), check: 'object-lock', at, detail: problem },
    details: () => (problem ? [`object lock: ${problem}`] : []),
  };
}

/**
 * Alerts for what changed state since the last run, through the outbox: an
 * alert a channel did not take is sent again on the next run. A channel that
 * fails is reported on stderr, never fatal.
 */
export async function deliverAlerts(stateDir: string, observed: Observed[], channels: AlertChannels): Promise<void> {
  const { updateAlertState, stateChanges, enqueue } = await import('../core/report/alert-state.js');
  const { deliverOutbox } = await import('../core/report/alerts.js');
  const problems = await updateAlertState(stateDir, async (state) => {
    const events = stateChanges(state, observed);
    if (!anyChannel(channels)) return [];
    enqueue(state, events);
    return deliverOutbox(state, channels);
  });
  for (const problem of problems) process.stderr.write(`restorable: alert not delivered: ${printable(problem)}\n`);
}
