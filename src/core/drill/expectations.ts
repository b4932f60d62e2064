import { z } from 'zod';
import { readConfigFile } from '../config-file.js';
import { unquoted } from './compare-rows.js';
import type { DrillReport, Finding } from '../events/types.js';

/**
 * What the owner of a backup knows its restore must hold (`--expect FILE`,
 * YAML or JSON): a floor of rows per table, and SQL probes that must return
 * true in the restored database, such as "the newest order is less than a
 * day older than the dump". Row counts compared with the dump and with the
 * last drill catch a dump that lost data on the way; these catch a dump
 * that was complete but of the wrong, or a stale, database.
 *
 *   min_rows:
 *     public.orders: 1000
 *   probes:
 *     - name: orders reference customers
 *       sql: SELECT count(*) = 0 FROM orders o LEFT JOIN customers c ON c.id = o.customer WHERE c.id IS NULL
 *       database: shop        # pg_dumpall and multi-database dumps only
 */
const schema = z
  .object({
    min_rows: z.record(z.number().int('expected a whole number').nonnegative('must not be negative')).optional(),
    probes: z
      .array(
        z
          .object({
            name: z.string().min(1, 'must not be empty'),
            sql: z.string().min(1, 'must not be empty'),
            database: z.string().min(1, 'must not be empty').optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export interface Probe {
  name: string;
  sql: string;
  database?: string;
}

export interface Expectations {
  /** where they were read from, for messages */
  source: string;
  minRows: Record<string, number>;
  probes: Probe[];
}

/** Reads and validates an expectations file; errors name the file and the field (exit 2: nothing was checked). */
export async function readExpectations(path: string): Promise<Expectations> {
  const data = await readConfigFile(path, schema);
  return { source: path, minRows: data.min_rows ?? {}, probes: data.probes ?? [] };
}

/** Each table held to its floor; a table named there that was not restored fails too. */
export function checkMinRows(tables: DrillReport['tables'], expect: Expectations): Finding[] {
  const rows = new Map(tables.map((t) => [unquoted(t.table), t.rows]));
  const out: Finding[] = [];
  for (const [table, floor] of Object.entries(expect.minRows)) {
    const n = rows.get(unquoted(table));
    if (n === undefined) out.push({ severity: 'error', message: `${table}: not restored; ${expect.source} expects at least ${floor} ${floor === 1 ? 'row' : 'rows'}`, member: table });
    else if (n < floor) out.push({ severity: 'error', message: `${table}: ${n} rows restored; ${expect.source} expects at least ${floor}`, member: table });
  }
  return out;
}

/** A probe's answer: passed when it returned true; its error when it could not run (a probe that fails to run fails). */
export type ProbeResult = NonNullable<DrillReport['probes']>[number];

export function probeFinding(p: ProbeResult): Finding | undefined {
  if (p.passed) return undefined;
  return { severity: 'error', message: p.error ? `probe "${p.name}" could not run: ${p.error}` : `probe "${p.name}" returned ${p.value ?? 'no row'}, not true` };
}
