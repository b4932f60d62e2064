import type { PostgresServer } from './postgres.js';

/** Tables of a database as pg_dump names them (`schema.table`, quoted where needed), leaf tables only (a partition's rows once). */
const TABLES_SQL = `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1`;

/** Exact rows of every table of a database, by one query per database (count(*) of each, not the planner's estimate). */
export async function countPostgresRows(server: PostgresServer, database: string, signal?: AbortSignal): Promise<Map<string, number>> {
  const tables = (await server.query(database, TABLES_SQL, signal)).map((r) => r[0]!);
  return countInBatches(tables, (t) => `SELECT ${literal(t)}, count(*) FROM ${t}`, (sql) => server.query(database, sql, signal));
}

/**
 * Exact rows of many tables in any engine: `select` is one table's
 * `SELECT 'its name', count(*) FROM it`, and a few hundred of them go to a
 * query, joined by UNION ALL (one statement per table would cost a round
 * trip, or a process, each).
 */
export async function countInBatches<T>(tables: T[], select: (table: T) => string, query: (sql: string) => Promise<string[][]>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < tables.length; i += 200) {
    for (const [name, rows] of await query(tables.slice(i, i + 200).map(select).join(' UNION ALL '))) out.set(name!, Number(rows));
  }
  return out;
}

/** The databases a pg_dumpall restore made (templates left out). */
export async function postgresDatabases(server: PostgresServer, signal?: AbortSignal): Promise<string[]> {
  return (await server.query('postgres', 'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1', signal)).map((r) => r[0]!);
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
