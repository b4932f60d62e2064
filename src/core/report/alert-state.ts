import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ManifestError, RestorableError } from '../errors.js';
import { atomicWrite } from '../manifest/atomic-write.js';
import { fieldPath, parseJsonFile, readIfPresent } from '../manifest/safe-json.js';
import { isPass, type BackupState } from '../schedule/strength.js';
import { withLock } from '../schedule/state-lock.js';

/**
 * alerts.json in the state folder: which backups (and copies) are failing
 * as far as the alert channels were told, who acknowledged them, and the
 * outbox: every alert until each channel has accepted it. An alert is never
 * lost to a channel that was down: it waits there for the next run.
 */

const ack = z.object({ at: z.string(), by: z.string().optional(), comment: z.string().optional(), until: z.string().optional() });
const failing = z.object({ status: z.string(), check: z.string(), since: z.string(), ack: ack.optional() });
const alert = z.object({
  id: z.string(),
  at: z.string(),
  action: z.enum(['trigger', 'resolve', 'acknowledge']),
  /** what the alert is about: a backup's path, or LOCATION:BACKUP for a copy */
  key: z.string(),
  backup: z.string(),
  check: z.string(),
  status: z.string(),
  details: z.array(z.string()),
  /** channel → when it accepted the alert */
  delivered: z.record(z.string()),
  /** only these channels want it (an acknowledgement is PagerDuty's business) */
  only: z.array(z.string()).optional(),
});
const schema = z.object({ version: z.literal(2), failing: z.record(failing), outbox: z.array(alert) });

export type AlertRecord = z.infer<typeof alert>;
export type AlertEvent = Pick<AlertRecord, 'action' | 'key' | 'backup' | 'check' | 'status' | 'details'>;
export type AlertState = z.infer<typeof schema>;
export type Ack = z.infer<typeof ack>;

/** Undelivered alerts older than this are given up (and said so). */
export const OUTBOX_DAYS = 14;

async function read(file: string): Promise<AlertState> {
  const text = await readIfPresent(file);
  if (text === undefined || text.trim() === '') return { version: 2, failing: {}, outbox: [] };
  const value = parseJsonFile(file, text) as Record<string, unknown>;
  // The first layout: { "BACKUP": true } for each failing backup.
  if (value && typeof value === 'object' && !Array.isArray(value) && !('version' in value) && Object.values(value).every((v) => typeof v === 'boolean')) {
    return { version: 2, failing: Object.fromEntries(Object.keys(value).map((k) => [k, { status: 'failing', check: 'unknown', since: new Date(0).toISOString() }])), outbox: [] };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ManifestError(file, fieldPath(parsed.error.issues[0]!.path), `${parsed.error.issues[0]!.message} (not the alert state restorable writes; move it aside to start afresh: every failing backup is then alerted again)`);
  return parsed.data;
}

/** Reads alerts.json, lets `change` work on it, and writes it back, under its lock: one writer at a time. */
export async function updateAlertState<T>(stateDir: string, change: (state: AlertState) => Promise<T>): Promise<T> {
  const file = join(stateDir, 'alerts.json');
  return withLock(join(stateDir, 'alerts.lock'), async () => {
    const state = await read(file);
    const out = await change(state);
    await atomicWrite(file, `${JSON.stringify(state, null, 1)}\n`, { overwrite: true });
    return out;
  });
}

export async function readAlertState(stateDir: string): Promise<AlertState> {
  return read(join(stateDir, 'alerts.json'));
}

export interface Observed {
  key: string;
  backup: string;
  state: BackupState;
  details: () => string[];
}

/**
 * The alerts a run's states call for: a backup that starts failing
 * triggers, one whose state passes again resolves. The state is the
 * ledger's (a failure cleared only by a check as strong), so a cheaper check
 * never resolves what a stronger one found. A check that could not tell
 * (error, no manifest) changes nothing.
 */
export function stateChanges(state: AlertState, observed: Observed[], now = new Date()): AlertEvent[] {
  const events: AlertEvent[] = [];
  for (const o of observed) {
    const was = state.failing[o.key];
    if (o.state.failing && !was) {
      events.push({ action: 'trigger', key: o.key, backup: o.backup, check: o.state.check, status: o.state.status, details: o.details() });
      state.failing[o.key] = { status: o.state.status, check: o.state.check, since: now.toISOString() };
    } else if (o.state.failing && was) {
      was.status = o.state.status;
      was.check = o.state.check;
    } else if (was && isPass(o.state.status)) {
      events.push({ action: 'resolve', key: o.key, backup: o.backup, check: o.state.check, status: o.state.status, details: [] });
      delete state.failing[o.key];
    }
  }
  return events;
}

/** Puts alerts in the outbox, each with its own id and time. */
export function enqueue(state: AlertState, events: AlertEvent[], now = new Date(), only?: string[]): void {
  for (const e of events) {
    const id = createHash('sha256').update(`${now.toISOString()}\0${e.action}\0${e.key}`).digest('hex').slice(0, 16);
    state.outbox.push({ ...e, id, at: now.toISOString(), delivered: {}, ...(only ? { only } : {}) });
  }
}

/** Records an acknowledgement of a failing backup (or copy); the PagerDuty acknowledgement goes in the outbox. */
export function acknowledge(state: AlertState, key: string, a: Ack, now = new Date()): void {
  const f = state.failing[key];
  if (!f) throw new RestorableError(`${key}: not failing as far as the alerts know; nothing to acknowledge (see restorable status)`);
  f.ack = a;
  enqueue(state, [{ action: 'acknowledge', key, backup: key, check: f.check, status: f.status, details: a.comment ? [a.comment] : [] }], now, ['pagerduty']);
}

/** Whether an acknowledgement still holds. */
export function acknowledged(f: z.infer<typeof failing> | undefined, now = Date.now()): boolean {
  return Boolean(f?.ack && (!f.ack.until || Date.parse(f.ack.until) > now));
}
