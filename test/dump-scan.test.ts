import { describe, expect, it } from 'vitest';
import { SqlScanner, type SqlScanReport } from '../src/core/dumps/sql-scan.js';
import { runTool } from './helpers/tools.js';
import { tempDir } from './helpers/fixtures.js';
import { join } from 'node:path';

/** Scans `text` in pieces of `size` bytes (1: every byte a piece of its own). */
function scan(text: string | Buffer, size = 64 * 1024): SqlScanReport {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const s = new SqlScanner();
  for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
  return s.finish();
}
const rows = (r: SqlScanReport) => Object.fromEntries(r.tables.map((t) => [t.table, t.rows]));
const errors = (r: SqlScanReport) => r.findings.filter((f) => f.severity === 'error').map((f) => f.message);

/** A real `sqlite3 .dump`: strings holding commas, parentheses, semicolons, doubled quotes and newlines. */
function sqliteDump(): string {
  const db = join(tempDir(), 't.db');
  const sql = `create table a(id integer, s text);
    insert into a values (1, 'x, (y); z'), (2, 'it''s'), (3, 'line1' || char(10) || 'line2'), (4, ');');
    create table "b c"(v);
    insert into "b c" values (null), (x'00ff');
    create table empty(v);`;
  expect(runTool('sqlite3', [db, sql]).status).toBe(0);
  const out = runTool('sqlite3', [db, '.dump']);
  expect(out.status).toBe(0);
  return out.stdout;
}

describe('scanning a plain SQL dump', () => {
  it('counts the rows of each table of a sqlite3 .dump, whatever the strings hold, and knows it is complete', () => {
    const dump = sqliteDump();
    const r = scan(dump);
    expect(r.tool).toBe('sqlite3 .dump');
    expect(r.complete).toBe(true);
    expect(rows(r)).toEqual({ a: 4, 'b c': 2 });
    expect(errors(r)).toEqual([]);
  });

  it('gives the same answer when the dump arrives a byte at a time', () => {
    const dump = sqliteDump();
    expect(rows(scan(dump, 1))).toEqual(rows(scan(dump)));
    expect(scan(dump, 7).complete).toBe(true);
  });

  it('a dump cut short: no trailer, and an INSERT cut off names its table and where', () => {
    const dump = sqliteDump();
    const cut = dump.slice(0, dump.indexOf("'it''s'") + 3);
    const r = scan(cut);
    expect(r.complete).toBe(false);
    expect(errors(r)).toContainEqual(expect.stringMatching(/^an INSERT into a \(from byte \d+\) has no end \(;\): the dump stops inside it, at byte \d+$/));
    expect(errors(r)).toContainEqual('sqlite3 .dump dump without its completion trailer (“COMMIT;”): it was cut short');
  });

  // pg_dump's text format, written out: the tests that run PostgreSQL itself check real pg_dump output.
  const pg = (data: string) => `--\n-- PostgreSQL database dump\n--\n\nCOPY public.items (id, name, price) FROM stdin;\n${data}\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n`;

  it('COPY blocks: rows counted, a line with the wrong number of fields found, an unended block found', () => {
    expect(rows(scan(pg('1\tpen\t2.50\n2\tink\t9.00\n')))).toEqual({ 'public.items': 2 });
    const half = scan(pg('1\tpen\t2.50\n2\tin\n'));
    expect(errors(half)).toEqual([expect.stringMatching(/^a COPY line of public\.items at byte \d+ has 2 fields, not 3: a damaged or half-written row$/)]);
    const cut = scan(pg('1\tpen\t2.50\n2\tink\t9.00\n').slice(0, 90));
    expect(errors(cut)).toContainEqual(expect.stringMatching(/^the COPY block of public\.items \(from byte \d+\) has no end/));
    expect(errors(cut)).toContainEqual(expect.stringMatching(/^pg_dump dump without its completion trailer/));
  });

  it('NUL bytes (a zeroed sector) are named with their offset and the table whose data they are in', () => {
    const text = Buffer.from(pg('1\tpen\t2.50\n2\tink\t9.00\n'), 'latin1');
    const at = text.indexOf('ink');
    text.fill(0, at, at + 3);
    expect(errors(scan(text))).toContainEqual(`3 NUL bytes at byte ${at} in the data of public.items: SQL text has none (zeroed or overwritten)`);
  });

  it("mysqldump's extended INSERTs: backslash escapes and quoted names", () => {
    const my = "-- MariaDB dump 10.19\n--\nINSERT INTO `t` VALUES (1,'a\\'b'),(2,'c;d)'),(3,NULL);\nINSERT INTO `t` VALUES (4,'\\\\');\n-- Dump completed on 2026-11-30 10:00:00\n";
    const r = scan(my);
    expect(r.tool).toBe('mysqldump');
    expect(r.complete).toBe(true);
    expect(rows(r)).toEqual({ t: 4 });
    expect(rows(scan(my, 1))).toEqual({ t: 4 });
  });

  it('long strings with escapes, whatever the pieces they arrive in: the same count', () => {
    const long = "it\\'s, (not); a tuple \\\\ ".repeat(500); // escaped quotes and backslashes in a 13 KB string
    const my = `-- MariaDB dump 10.19\nINSERT INTO \`t\` VALUES (1,'${long}'),(2,'x'),(3,'${long}');\n-- Dump completed on 2026-11-30 10:00:00\n`;
    for (const size of [1, 7, 4096, 1 << 20]) expect(rows(scan(my, size)), `pieces of ${size}`).toEqual({ t: 3 });
    const pg = `--\n-- PostgreSQL database dump\n--\nINSERT INTO public.t VALUES (1, E'${long}'), (2, 'a''b(c);');\n--\n-- PostgreSQL database dump complete\n--\n`;
    for (const size of [1, 13, 1 << 20]) expect(rows(scan(pg, size)), `pieces of ${size}`).toEqual({ 'public.t': 2 });
  });

  it('pg_dumpall: tables named by their database, and the cluster trailer', () => {
    const all = `--\n-- PostgreSQL database cluster dump\n--\n\\connect shop\n\nCOPY public.items (id) FROM stdin;\n1\n\\.\n\\connect -reuse-previous=on "dbname='crm'"\nCOPY public.items (id) FROM stdin;\n1\n2\n\\.\n--\n-- PostgreSQL database cluster dump complete\n--\n`;
    const r = scan(all);
    expect(r.tool).toBe('pg_dumpall');
    expect(r.complete).toBe(true);
    expect(rows(r)).toEqual({ 'shop.public.items': 1, 'crm.public.items': 2 });
  });
});
