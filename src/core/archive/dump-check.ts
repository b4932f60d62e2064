import type { Finding } from '../events/types.js';

/** The last words a complete dump ends with. */
const TRAILERS: { tool: string; pattern: RegExp }[] = [
  { tool: 'mysqldump', pattern: /^-- Dump completed( on .*)?$/m },
  { tool: 'pg_dump', pattern: /^-- PostgreSQL database dump complete$/m },
];

const TAIL = 4096;

/**
 * Keeps the last few KiB of a SQL dump as it streams past, then says
 * whether it ends with its tool's completion trailer: a dump cut short (a
 * full disk, a killed job) lacks it even when every byte that is there is
 * intact.
 */
export class DumpTail {
  private tail = Buffer.alloc(0);
  private head = '';

  push(chunk: Buffer): void {
    if (this.head.length < 512) this.head += chunk.subarray(0, 512 - this.head.length).toString('utf8');
    this.tail = Buffer.concat([this.tail, chunk]).subarray(-TAIL);
  }

  verdict(name: string): Finding {
    const text = this.tail.toString('utf8');
    const tool = /MySQL dump|MariaDB dump/.test(this.head) ? 'mysqldump' : /PostgreSQL database dump/.test(this.head) ? 'pg_dump' : undefined;
    const trailer = TRAILERS.find((t) => t.pattern.test(text));
    if (trailer) return { severity: 'info', message: `${name}: ${trailer.tool} dump is complete (its trailer is there)`, member: name };
    if (tool) return { severity: 'error', message: `${name}: ${tool} dump has no completion trailer: it was cut short`, member: name };
    return { severity: 'warning', message: `${name}: SQL without a known dump trailer; cannot tell whether it is complete`, member: name };
  }
}
