import { PassThrough } from 'node:stream';
import { decompress, type Decompressor } from '../archive/decompress.js';
import { compressionOf } from '../archive/detect.js';
import type { DumpReport, Finding } from '../events/types.js';
import { SqlScanner, type SqlScanReport } from './sql-scan.js';

/** A tar member that is a plain SQL dump, compressed (gzip, zstd, xz, bzip2, lz4…) or not. */
export const isDumpMember = (path: string): boolean => /\.sql(\.(gz|zst|xz|bz2|lz4|lzo|lz|Z))?$/i.test(path);

/** The report of a scan, as a check result holds it; `name` prefixes each finding when the dump is one member of several. */
export function dumpReport(name: string, scan: SqlScanReport, prefix = ''): { report: DumpReport; findings: Finding[] } {
  return {
    report: { name, tool: scan.tool, complete: scan.complete, tables: scan.tables.map(({ table, rows }) => ({ table, rows })), rows: scan.rows },
    findings: scan.findings.map((f) => ({ ...f, message: `${prefix}${f.message}`, member: prefix ? name : f.member })),
  };
}

/**
 * Watches a dump member of an archive as its bytes pass through to the
 * sandbox: a `.sql` member is scanned as is, a compressed one through the
 * same decompressors as a backup (gzip in process, the others through the
 * system's programs), found by its first bytes. `done` gives the report once
 * the member has been read (or as far as it could be).
 */
export function watchDumpMember(path: string, content: AsyncIterable<Buffer>): { content: AsyncIterable<Buffer>; done: () => Promise<{ report: DumpReport; findings: Finding[] }> } {
  const scanner = new SqlScanner();
  let feed: PassThrough | undefined;
  let dec: Decompressor | undefined;
  /** what stopped the decompression (a damaged stream, a missing program): the rest passes unscanned */
  let problem: string | undefined;
  let drained: Promise<void> = Promise.resolve();
  let stopped!: () => void;
  const stop = new Promise<void>((r) => (stopped = r));

  const start = async (first: Buffer) => {
    const compression = compressionOf(first, path);
    if (compression === 'none') return;
    feed = new PassThrough();
    try {
      dec = await decompress(feed, compression, path);
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
      feed = undefined;
      return;
    }
    const output = dec.output as AsyncIterable<Buffer>;
    drained = (async () => {
      try {
        for await (const chunk of output) scanner.push(chunk);
      } catch (err) {
        problem ??= err instanceof Error ? err.message : String(err);
      } finally {
        stopped();
      }
    })();
  };

  async function* passing(): AsyncGenerator<Buffer> {
    let first = true;
    try {
      for await (const chunk of content) {
        if (first) {
          first = false;
          await start(chunk);
        }
        if (feed) {
          // A decompressor that stopped reads no more: never wait on it.
          if (!feed.write(chunk)) await Promise.race([new Promise((r) => feed!.once('drain', r)), stop]);
        } else if (!problem) scanner.push(chunk); // not compressed (a decompressor that could not start set `problem`)
        yield chunk;
      }
    } finally {
      feed?.end();
    }
  }
  return {
    content: passing(),
    done: async () => {
      await drained;
      await dec?.finished.catch(() => {});
      problem ??= dec?.problem();
      const out = dumpReport(path, scanner.finish(), `${path}: `);
      if (problem) out.findings.unshift({ severity: 'error', message: `${path}: ${problem}`, member: path });
      return out;
    },
  };
}
