/**
 * Takes whole statements of a plain dump out as it streams past, where they
 * cannot work in a drill's fresh server. pg_dump writes each statement these
 * match on one line; COPY data passes untouched (a row may well read
 * "ALTER TABLE … OWNER TO …").
 */
export class StatementFilter {
  private carry = '';
  private inCopy = false;

  constructor(private readonly dropped: RegExp) {}

  /**
   * A pg_dump's ownership and privilege statements (what `pg_restore
   * --no-owner --no-privileges` leaves out of the other formats): the roles
   * it names do not exist in the drill's server, and a drill proves the
   * data, not the roles.
   */
  static noOwners(): StatementFilter {
    return new StatementFilter(/^(?:ALTER [A-Z ]+ .* OWNER TO .*;|GRANT .*;|REVOKE .*;)$/);
  }

  /** A pg_dumpall's statements that make the drill server's own superuser (it exists already). */
  static notRole(role: string): StatementFilter {
    return new StatementFilter(new RegExp(`^(?:CREATE|ALTER) ROLE ${role}( .*)?;$`));
  }

  /** The bytes to pass on for this chunk (whole lines; a partial line waits for the next chunk). */
  push(chunk: Buffer): Buffer {
    const text = this.carry + chunk.toString('latin1');
    const end = text.lastIndexOf('\n') + 1;
    this.carry = text.slice(end);
    return Buffer.from(this.filter(text.slice(0, end)), 'latin1');
  }

  /** What is left at the end. */
  finish(): Buffer {
    const rest = this.filter(this.carry);
    this.carry = '';
    return Buffer.from(rest, 'latin1');
  }

  private filter(lines: string): string {
    if (!lines) return '';
    const out: string[] = [];
    for (const line of lines.split('\n')) {
      if (this.inCopy) {
        if (line === '\\.') this.inCopy = false;
        out.push(line);
        continue;
      }
      if (line.startsWith('COPY ') && /FROM stdin;$/.test(line)) this.inCopy = true;
      out.push(this.dropped.test(line) ? '' : line);
    }
    return out.join('\n');
  }
}
