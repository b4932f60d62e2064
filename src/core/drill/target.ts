import type { RunAs } from './run-as.js';

/** The engines a drill restores into. */
export type Engine = 'postgresql' | 'mariadb' | 'sqlite';

/** Where and as whom a drill's server runs, and what stops it. */
export interface TargetOptions {
  runAs: RunAs;
  signal?: AbortSignal;
  tempDir?: string;
}

/**
 * A database made for one drill: a server (or SQLite file) in a fresh 0700
 * folder, reachable only by us. The drill restores into it, counts every
 * table's rows, asks its probes, and stops it, which removes everything.
 */
export interface DrillTarget {
  readonly engine: Engine;
  /** the server's name and version, as it reports it */
  readonly version: string;
  /** how the dump is restored, for the step list ("psql -v ON_ERROR_STOP=1") */
  readonly restoreHow: string;
  /** restores the dump; the restore program's last words when it stopped, undefined when it finished */
  restore(input: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<string | undefined>;
  /** a restore made of steps of its own (a base backup: unpack, verify, recover, amcheck), each shown as it runs; instead of `restore` */
  restoreSteps?(input: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncGenerator<RestoreStep, string | undefined>;
  /** after counting and probes: stops the server, and says what went wrong when it did not stop cleanly */
  finish?(): Promise<string | undefined>;
  /** exact rows of every table the restore made (count(*), not an estimate), by the name the dump gives it */
  countRows(signal?: AbortSignal): Promise<Map<string, number>>;
  /** the first value a query returns (in `database` where the engine has several), as text; throws with the server's error */
  value(sql: string, database: string | undefined, signal?: AbortSignal): Promise<string | undefined>;
  /** stops the server at once and removes its folder; safe to call twice */
  stop(): Promise<void>;
}

export interface RestoreStep {
  id: string;
  title: string;
  state: 'running' | 'ok' | 'failed' | 'skipped';
  detail?: string;
}

/** A value a probe may return to pass: SQL's true in each engine's spelling. */
export const isTrue = (value: string | undefined) => value !== undefined && /^(t|true|1|yes|on)$/i.test(value.trim());
