import type { DrillReport, Finding } from '../events/types.js';
import type { SqlScanReport } from '../dumps/sql-scan.js';
import type { DrillRecord } from '../schedule/ledger.js';

/**
 * Rows per table as restored, beside what the dump itself holds: a table
 * with fewer rows than its COPY lines or INSERT tuples lost some on the way
 * in (a silently aborted COPY), and a table the dump fills that is not
 * there at all failed to restore.
 */
export function compareRows(restored: Map<string, number>, scan: SqlScanReport | undefined, findings: Finding[]): DrillReport['tables'] {
  const inDump = new Map(scan?.tables.map((t) => [unquoted(t.table), t.rows]) ?? []);
  const out: DrillReport['tables'] = [];
  for (const [table, rows] of [...restored].sort(([a], [b]) => a.localeCompare(b))) {
    const expected = inDump.get(unquoted(table));
    out.push({ table, rows, ...(expected === undefined ? {} : { inDump: expected }) });
    if (expected !== undefined && rows !== expected) findings.push({ severity: 'error', message: `${table}: ${rows} rows restored, the dump holds ${expected}`, member: table });
  }
  const restoredNames = new Set([...restored.keys()].map(unquoted));
  for (const [table, rows] of inDump) {
    if (rows > 0 && !restoredNames.has(table)) findings.push({ severity: 'error', message: `${table}: the dump holds ${rows} rows, but no such table was restored`, member: table });
  }
  return out;
}

/** A table's name without identifier quotes, to match the dump's spelling with the server's. */
export const unquoted = (name: string) => name.replace(/"/g, '');


/**
 * Each table held to the last drill of the same series: a table that had
 * rows and now has none, or fell by more than `maxDrop` (a fraction), or is
 * gone, fails. A dump can be whole and restore cleanly and still have lost
 * a table's data before it was written.
 */
export function compareWithLastDrill(tables: DrillReport['tables'], previous: DrillRecord, maxDrop: number): Finding[] {
  const now = new Map(tables.map((t) => [unquoted(t.table), t.rows]));
  const since = `the last drill (${previous.at.slice(0, 10)}, ${previous.file})`;
  const out: Finding[] = [];
  for (const [table, before] of Object.entries(previous.tables)) {
    if (before === 0) continue;
    const rows = now.get(unquoted(table));
    if (rows === undefined) out.push({ severity: 'error', message: `${table}: not restored now; ${since} had it with ${before} rows`, member: table });
    else if (rows === 0) out.push({ severity: 'error', message: `${table}: 0 rows now; ${since} restored ${before}`, member: table });
    else if (rows < before * (1 - maxDrop)) out.push({ severity: 'error', message: `${table}: ${rows} rows now, ${Math.round((1 - rows / before) * 100)}% fewer than the ${before} of ${since} (more than ${Math.round(maxDrop * 100)}% is a failure)`, member: table });
  }
  return out;
}
