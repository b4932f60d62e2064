import { createGunzip } from 'node:zlib';
import type { DumpReport, Finding } from '../events/types.js';
import { SqlScanner, type SqlScanReport } from './sql-scan.js';

/** A tar member that is a plain SQL dump, gzipped or not. */
export const isDumpMember = (path: string): boolean => /\.sql(\.gz)?$/i.test(path);

/** The report of a scan, as a check result holds it; `name` prefixes each finding when the dump is one member of several. */
export function dumpReport(name: string, scan: SqlScanReport, prefix = ''): { report: DumpReport; findings: Finding[] } {
  return {
    report: { name, tool: scan.tool, complete: scan.complete, tables: scan.tables.map(({ table, rows }) => ({ table, rows })), rows: scan.rows },
    findings: scan.findings.map((f) => ({ ...f, message: `${prefix}${f.message}`, member: prefix ? name : f.member })),
  };
}

/**
 * Watches a dump member of an archive as its bytes pass through to the
 * sandbox: a `.sql` member is scanned as is, a `.sql.gz` one through gunzip
 * on the way. `done` gives the report once the member has been read (or as
 * far as it could be).
 */
export function watchDumpMember(path: string, content: AsyncIterable<Buffer>): { content: AsyncIterable<Buffer>; done: () => Promise<{ report: DumpReport; findings: Finding[] }> } {
  const scanner = new SqlScanner();
  const gzipped = /\.gz$/i.test(path);
  const gunzip = gzipped ? createGunzip() : undefined;
  let gzipError: string | undefined;
  const drained = gunzip
    ? new Promise<void>((resolve) => {
        gunzip.on('data', (chunk: Buffer) => scanner.push(chunk));
        gunzip.on('error', (err) => {
          gzipError = err.message;
          resolve();
        });
        gunzip.on('end', () => resolve());
      })
    : Promise.resolve();
  async function* passing(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of content) {
        if (gunzip) {
          if (!gzipError && !gunzip.write(chunk)) {
            await new Promise((r) => {
              gunzip.once('drain', r);
              gunzip.once('error', r);
            });
          }
        } else scanner.push(chunk);
        yield chunk;
      }
    } finally {
      gunzip?.end();
    }
  }
  return {
    content: passing(),
    done: async () => {
      await drained;
      const out = dumpReport(path, scanner.finish(), `${path}: `);
      if (gzipError) out.findings.unshift({ severity: 'error', message: `${path}: gzip: ${gzipError}`, member: path });
      return out;
    },
  };
}
