/** The programs whose plain SQL dumps are recognised, by their banner, and the trailer each ends a complete dump with. */
export type DumpTool = 'pg_dump' | 'pg_dumpall' | 'mysqldump' | 'sqlite3 .dump';

const TOOLS: { tool: DumpTool; banner: RegExp; trailer: RegExp; says: string }[] = [
  { tool: 'pg_dumpall', banner: /^-- PostgreSQL database cluster dump$/m, trailer: /^-- PostgreSQL database cluster dump complete$/m, says: '-- PostgreSQL database cluster dump complete' },
  { tool: 'pg_dump', banner: /^-- PostgreSQL database dump$/m, trailer: /^-- PostgreSQL database dump complete$/m, says: '-- PostgreSQL database dump complete' },
  { tool: 'mysqldump', banner: /^-- (MySQL|MariaDB) dump /m, trailer: /^-- Dump completed/m, says: '-- Dump completed' },
  // A .dump of a database that read with errors ends "ROLLBACK; -- due to errors": not complete.
  { tool: 'sqlite3 .dump', banner: /^PRAGMA foreign_keys=OFF;\r?\nBEGIN TRANSACTION;/, trailer: /^COMMIT;\s*$/m, says: 'COMMIT;' },
];

/** The tool that wrote a dump, from its first bytes; undefined when none we know. */
export function dumpToolOf(head: string): DumpTool | undefined {
  return TOOLS.find((t) => t.banner.test(head))?.tool;
}

/** What a dump's header says wrote it: "pg_dump 15.8 from PostgreSQL 15.8", "mariadb-dump 10.19 from 10.11.19-MariaDB". */
export function dumpedBy(head: string): string | undefined {
  const pg = /^-- Dumped by (pg_dump(?:all)?) version (\S+)/m.exec(head);
  if (pg) {
    const from = /^-- Dumped from database version (\S+)/m.exec(head)?.[1];
    return `${pg[1]} ${pg[2]}${from ? ` from PostgreSQL ${from}` : ''}`;
  }
  const my = /^-- (MySQL|MariaDB) dump (\S+)\s+Distrib (\S+?),/m.exec(head);
  if (my) {
    const from = /^-- Server version\s+(\S+)/m.exec(head)?.[1];
    return `${my[1] === 'MariaDB' ? 'mariadb-dump' : 'mysqldump'} ${my[2]} (${my[3]})${from ? ` from ${from}` : ''}`;
  }
  return undefined;
}

/** The line a complete dump of this tool ends with, and how it reads. */
export function trailerOf(tool: DumpTool): { pattern: RegExp; says: string } {
  const t = TOOLS.find((x) => x.tool === tool)!;
  return { pattern: t.trailer, says: t.says };
}
