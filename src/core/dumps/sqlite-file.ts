import { execa } from 'execa';
import type { Finding } from '../events/types.js';

/** What sqlite3 says of a database file: every table's rows, and what PRAGMA integrity_check found. */
export interface SqliteCheck {
  /** sqlite3 is not installed */
  missing?: boolean;
  tables: { table: string; rows: number }[];
  findings: Finding[];
}

/**
 * Checks a SQLite database file with sqlite3 itself: `PRAGMA
 * integrity_check` (every page, every index against its table), then
 * count(*) of every table. `path` is opened as an immutable URI: read only,
 * no lock taken and no journal or WAL file made beside it (nothing is ever
 * written beside a backup). `as` runs it as another user (a drill's).
 */
export async function checkSqliteFile(path: string, opts: { signal?: AbortSignal; as?: Record<string, unknown>; /** also count every table's rows (a drill counts them on its own) */ count?: boolean } = {}): Promise<SqliteCheck> {
  const uri = `file:${encodeURI(path).replace(/\?/g, '%3F').replace(/#/g, '%23')}?immutable=1`;
  const sqlite = (sql: string) => execa('sqlite3', ['-init', '/dev/null', '-batch', '-tabs', '-readonly', uri, sql], { reject: false, cancelSignal: opts.signal, ...(opts.as ?? {}) });
  const integrity = await sqlite('PRAGMA integrity_check').catch(() => undefined);
  if (!integrity || (integrity as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(integrity.message ?? ''))) return { missing: true, tables: [], findings: [] };
  const findings: Finding[] = [];
  const said = String(integrity.stdout).trim();
  if (integrity.exitCode !== 0) findings.push({ severity: 'error', message: `sqlite3: ${String(integrity.stderr).trim().split('\n').pop() || `exit code ${integrity.exitCode}`}` });
  else if (said !== 'ok') for (const line of said.split('\n').slice(0, 20)) findings.push({ severity: 'error', message: `integrity_check: ${line}` });
  const tables: SqliteCheck['tables'] = [];
  if (!findings.length && opts.count !== false) {
    const names = await sqlite("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1");
    for (const name of String(names.stdout).split('\n').filter(Boolean)) {
      const n = await sqlite(`SELECT count(*) FROM "${name.replace(/"/g, '""')}"`);
      if (n.exitCode !== 0) findings.push({ severity: 'error', message: `${name}: ${String(n.stderr).trim()}`, member: name });
      else tables.push({ table: name, rows: Number(String(n.stdout).trim()) });
    }
  }
  return { tables, findings };
}
