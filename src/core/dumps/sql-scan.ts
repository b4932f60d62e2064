import type { Finding } from '../events/types.js';
import { InsertTuples } from './insert-tuples.js';
import { dumpToolOf, trailerOf, type DumpTool } from './dump-tools.js';

/** Rows a dump holds for one table, as its own COPY blocks and INSERT statements say. */
export interface TableRows {
  table: string;
  rows: number;
  /** byte where the table's first data starts (in the decompressed dump) */
  offset: number;
}

export interface SqlScanReport {
  tool?: DumpTool;
  /** its tool's completion trailer is there */
  complete: boolean;
  tables: TableRows[];
  rows: number;
  bytes: number;
  findings: Finding[];
}

/** Problems of one kind reported one by one up to this many, then counted. */
const SHOWN = 3;
/** A line outside data longer than this is not kept whole (no statement we look at is that long before its data). */
const MAX_LINE = 64 * 1024;
/** The start of a dump (the tool's banner) and its last bytes (the trailer). */
const HEAD = 512;
const TAIL = 4096;

const COPY = /^COPY\s+((?:"(?:[^"]|"")*"|[^\s(])+)\s*(?:\(([^)]*)\))?\s+FROM\s+stdin/i;

/**
 * Reads a plain SQL dump as it streams past, once: counts the rows of each
 * table (COPY lines and INSERT tuples), checks that every COPY block ends
 * with `\.` and that each of its lines has as many fields as the block has
 * columns, finds NUL bytes (a zeroed sector), and at the end whether the
 * dump has its tool's completion trailer. Damage is named by byte offset
 * and the table it falls in. Works on the bytes as latin1, so a character
 * offset is a byte offset.
 */
export class SqlScanner {
  private offset = 0;
  private head = '';
  private tail = '';
  /** part of a line not yet ended, outside a statement's data */
  private carry = '';
  private carryAt = 0;
  private mode: 'sql' | 'copy' | 'insert' = 'sql';
  private copy?: { table: TableRows; columns: number; startedAt: number };
  private insert?: InsertTuples;
  private database?: string;
  private readonly tables = new Map<string, TableRows>();
  private readonly findings: Finding[] = [];
  private readonly counts = { nul: 0, fields: 0 };
  private lastNul?: { start: number; end: number; where: string; finding: Finding };

  push(chunk: Buffer): void {
    if (this.head.length < HEAD) this.head += chunk.toString('latin1', 0, Math.min(chunk.length, HEAD - this.head.length));
    this.tail = (this.tail + chunk.toString('latin1', Math.max(0, chunk.length - TAIL))).slice(-TAIL);
    // The chunk as text only when a line needs it: INSERTs (a GB of them in a mysqldump) are read as bytes.
    let text: string | undefined;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.mode === 'insert') {
        const end = this.insert!.feed(chunk, pos);
        const stop = end < 0 ? chunk.length : end;
        const nul = chunk.indexOf(0, pos);
        if (nul >= 0 && nul < stop) this.noteNul(chunk.toString('latin1', pos, stop), this.offset + pos, ` in an INSERT into ${this.insert!.table}`);
        if (end < 0) break;
        this.endInsert();
        pos = end;
        continue;
      }
      if (this.mode === 'sql' && !this.carry) {
        // Between two INSERTs of a mysqldump: the end of the line, then the next INSERT, parsed where it stands (no copy).
        if (chunk[pos] === 0x0a) {
          pos++;
          continue;
        }
        if (isInsertAt(chunk, pos)) {
          this.insert = new InsertTuples(this.offset + pos, this.database);
          this.mode = 'insert';
          continue;
        }
      }
      const s = (text ??= chunk.toString('latin1'));
      const nl = s.indexOf('\n', pos);
      if (nl < 0) {
        this.keepPartial(s, pos);
        break;
      }
      const at = this.carry ? this.carryAt : this.offset + pos;
      const line = this.carry ? this.carry + s.slice(pos, nl) : s.slice(pos, nl);
      this.carry = '';
      pos = nl + 1;
      if (this.mode === 'copy') this.copyLine(line, at);
      else {
        const rest = this.sqlLine(line, at);
        // An INSERT whose statement did not end on its first line: the rest of it follows.
        if (rest === 'open') continue;
      }
    }
    this.offset += chunk.length;
  }

  finish(): SqlScanReport {
    if (this.carry && this.mode === 'sql') this.sqlLine(this.carry, this.carryAt);
    else if (this.carry && this.mode === 'copy') this.copyLine(this.carry, this.carryAt, true);
    if (this.mode === 'copy' && this.copy) {
      this.findings.push({ severity: 'error', message: `the COPY block of ${this.copy.table.table} (from byte ${this.copy.startedAt}) has no end (\\.): the dump stops inside its data, at byte ${this.offset}`, offset: this.offset, member: this.copy.table.table });
    }
    if (this.mode === 'insert' && this.insert) {
      this.findings.push({ severity: 'error', message: `an INSERT into ${this.insert.table} (from byte ${this.insert.startedAt}) has no end (;): the dump stops inside it, at byte ${this.offset}`, offset: this.offset, member: this.insert.table });
      this.addRows(this.insert.table, this.insert.complete, this.insert.startedAt);
    }
    if (this.counts.nul > SHOWN) this.findings.push({ severity: 'error', message: `${this.counts.nul - SHOWN} more runs of NUL bytes` });
    if (this.counts.fields > SHOWN) this.findings.push({ severity: 'error', message: `${this.counts.fields - SHOWN} more COPY lines with the wrong number of fields` });
    const tool = dumpToolOf(this.head);
    const complete = tool !== undefined && trailerOf(tool).pattern.test(this.tail);
    if (tool && !complete) this.findings.push({ severity: 'error', message: `${tool} dump without its completion trailer (“${trailerOf(tool).says}”): it was cut short`, offset: this.offset });
    if (!tool) this.findings.push({ severity: 'warning', message: 'SQL that no known dump tool wrote: whether it is complete cannot be told' });
    const tables = [...this.tables.values()];
    return { tool, complete, tables, rows: tables.reduce((n, t) => n + t.rows, 0), bytes: this.offset, findings: this.findings };
  }

  /** Outside data: a statement that starts data (COPY, INSERT), a database switch (pg_dumpall's \connect, mysqldump's USE), or nothing we count. */
  private sqlLine(line: string, at: number): 'open' | undefined {
    this.noteNul(line, at, '');
    const c = line.charCodeAt(0);
    if (c === 0x43 /* C */ || c === 0x63) {
      const m = COPY.exec(line);
      if (m) {
        const table = this.qualified(m[1]!);
        this.copy = { table: this.tableOf(table, at + line.length + 1), columns: m[2] === undefined ? -1 : columnCount(m[2]), startedAt: at };
        this.mode = 'copy';
      }
      return undefined;
    }
    if (c === 0x5c /* \ */ && line.startsWith('\\connect ')) {
      // pg_dumpall: `\connect shop`, or `\connect -reuse-previous=on "dbname='shop'"`.
      const arg = line.slice('\\connect '.length).replace(/^-reuse-previous=on\s+/, '').trim().replace(/^"|"$/g, '');
      this.database = /^dbname='((?:[^']|'')*)'/.exec(arg)?.[1]?.replace(/''/g, "'") ?? arg.split(/\s+/)[0];
      return undefined;
    }
    if ((c === 0x49 /* I */ || c === 0x69) && /^insert\s/i.test(line.slice(0, 7))) return this.startInsert(`${line}\n`, at) ? 'open' : undefined;
    if ((c === 0x55 /* U */ || c === 0x75) && /^use\s/i.test(line.slice(0, 4))) {
      // mysqldump --databases / --all-databases: `USE `shop`;`
      const name = /^use\s+(`(?:[^`]|``)*`|\S+?)\s*;?\s*$/i.exec(line)?.[1];
      if (name) this.database = name.startsWith('`') ? name.slice(1, -1).replace(/``/g, '`') : name;
    }
    return undefined;
  }

  private copyLine(line: string, at: number, last = false): void {
    const copy = this.copy!;
    if (line === '\\.') {
      this.mode = 'sql';
      this.copy = undefined;
      return;
    }
    this.noteNul(line, at, ` in the data of ${copy.table.table}`);
    if (last) return; // a line cut off by the end of the dump is reported with the block
    copy.table.rows++;
    if (copy.columns > 0) {
      let fields = 1;
      for (let i = line.indexOf('\t'); i >= 0; i = line.indexOf('\t', i + 1)) fields++;
      if (fields !== copy.columns && ++this.counts.fields <= SHOWN) {
        this.findings.push({ severity: 'error', message: `a COPY line of ${copy.table.table} at byte ${at} has ${fields} fields, not ${copy.columns}: a damaged or half-written row`, offset: at, member: copy.table.table });
      }
    }
  }

  /** An INSERT whose start is in `text` (at byte `at`, not in the chunk being read); true when it goes on past it. */
  private startInsert(text: string, at: number): boolean {
    this.insert = new InsertTuples(at, this.database);
    if (this.insert.feed(Buffer.from(text, 'latin1'), 0) >= 0) {
      this.endInsert();
      return false;
    }
    this.mode = 'insert';
    return true;
  }

  private endInsert(): void {
    const insert = this.insert!;
    this.addRows(insert.table, insert.tuples, insert.startedAt);
    this.insert = undefined;
    this.mode = 'sql';
  }

  private keepPartial(s: string, pos: number): void {
    if (!this.carry) this.carryAt = this.offset + pos;
    this.carry += s.slice(pos);
    if (this.mode !== 'sql') return;
    // A long INSERT is not kept whole: once its start is known, its tuples are counted as they come.
    if (/^insert\s/i.test(this.carry.slice(0, 7))) {
      const text = this.carry;
      this.carry = '';
      this.noteNul(text, this.carryAt, ''); // as for a whole line (sqlLine): the table is not known before its VALUES
      this.startInsert(text, this.carryAt);
    } else if (this.carry.length > MAX_LINE) {
      this.noteNul(this.carry.slice(256), this.carryAt + 256, '');
      this.carry = this.carry.slice(0, 256);
    }
  }

  /** Runs of NUL bytes in `text` (which starts at byte `at`); a run that goes on from the last one is one run. */
  private noteNul(text: string, at: number, where: string): void {
    for (let i = text.indexOf('\0'); i >= 0; ) {
      let end = i;
      while (end < text.length && text.charCodeAt(end) === 0) end++;
      const last = this.lastNul;
      if (last && last.end === at + i) {
        last.end = at + end;
        last.finding.message = nulMessage(last.end - last.start, last.start, last.where);
      } else if (++this.counts.nul <= SHOWN) {
        const finding: Finding = { severity: 'error', message: nulMessage(end - i, at + i, where), offset: at + i, member: this.copy?.table.table ?? this.insert?.table };
        this.findings.push(finding);
        this.lastNul = { start: at + i, end: at + end, where, finding };
      }
      i = text.indexOf('\0', end);
    }
  }

  private qualified(table: string): string {
    return this.database ? `${this.database}.${table}` : table;
  }

  private tableOf(name: string, offset: number): TableRows {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = { table: name, rows: 0, offset }));
    return t;
  }

  private addRows(name: string, rows: number, offset: number): void {
    this.tableOf(name, offset).rows += rows;
  }
}

/** Whether an INSERT statement starts at `pos` (the case of its keyword as any dump writes it). */
function isInsertAt(bytes: Buffer, pos: number): boolean {
  const c = bytes[pos];
  return (c === 0x49 || c === 0x69) && /^insert\s/i.test(bytes.toString('latin1', pos, pos + 7));
}

const nulMessage = (count: number, at: number, where: string) => `${count} NUL ${count === 1 ? 'byte' : 'bytes'} at byte ${at}${where}: SQL text has none (zeroed or overwritten)`;

/** Columns in a COPY column list: `id, "a,b", name` is 3. */
export function columnCount(list: string): number {
  let n = 1;
  let quoted = false;
  for (const ch of list) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) n++;
  }
  return n;
}
