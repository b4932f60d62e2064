/** `INSERT INTO name [(columns)] VALUES`: the table's name as written, quotes taken off. */
const HEAD = /^insert\s+(?:ignore\s+)?into\s+((?:"(?:[^"]|"")*"|`[^`]*`|[^\s(`"]+)(?:\.(?:"(?:[^"]|"")*"|`[^`]*`|[^\s(`"]+))*)\s*(?:\([^)]*\)\s*)?values\s*/i;
/** Characters that change the parser's state after VALUES, as a table by character code: a lookup per byte is what keeps a GB of INSERTs to seconds. */
const SPECIAL = new Uint8Array(256);
for (const ch of `'"\`();\\`) SPECIAL[ch.charCodeAt(0)] = 1;
/** How much of a statement's start is kept while looking for VALUES. */
const MAX_HEAD = 64 * 1024;
const NEAR = 1024;
/** Bytes of a string walked one by one before memchr takes over: most values in a dump are shorter. */
const SHORT_STRING = 48;

const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const BACKTICK = 0x60;
const BACKSLASH = 0x5c;
const OPEN = 0x28;
const CLOSE = 0x29;
const SEMICOLON = 0x3b;
/** A PostgreSQL E'' string: closed by a plain quote, with backslash escapes. */
const E_STRING = 0x100;

/** The character that ends a string opened with `quote` (0: not in a string). */
const closing = (quote: number): number => (quote === E_STRING ? QUOTE : quote);

/**
 * Counts the rows of one INSERT statement as its text streams past, in
 * pieces that may end anywhere: the top-level tuples after VALUES, with
 * quoted strings skipped (SQL's doubled quotes; a backslash escapes in
 * MySQL's dumps and in PostgreSQL's E'' strings). `feed` returns where the
 * statement ended (after its `;`), or -1 when it goes on.
 */
export class InsertTuples {
  table = '?';
  tuples = 0;
  /** tuples whose closing parenthesis was seen (what counts when the statement is cut off) */
  complete = 0;
  private head = '';
  private inValues = false;
  private depth = 0;
  /** the quote character of the string being read (a character code; E_STRING; 0 outside strings) */
  private quote = 0;
  private backslashes = false;
  /** a quote ended the last piece: a doubled quote or the string's end, told by the next character */
  private quoteAtEnd = false;
  private escapeAtEnd = false;

  constructor(
    readonly startedAt: number,
    private readonly database?: string,
  ) {}

  feed(bytes: Buffer, from: number): number {
    let pos = from;
    if (!this.inValues) {
      // The name and VALUES are in the first few hundred bytes of nearly every statement: look there
      // first, and at up to MAX_HEAD only when they are not (a long column list).
      const near = this.head + bytes.toString('latin1', pos, Math.min(bytes.length, pos + NEAR));
      const quick = HEAD.exec(near);
      const take = quick ? near.slice(this.head.length) : bytes.toString('latin1', pos, Math.min(bytes.length, pos + MAX_HEAD - this.head.length));
      const text = quick ? near : this.head + take;
      const m = quick ?? HEAD.exec(text);
      if (!m) {
        this.head = text;
        // No VALUES in a statement this long, or one that ends first: not a row-bearing INSERT.
        const end = text.indexOf(';');
        if (end >= 0) return pos + (end - (text.length - take.length)) + 1;
        return this.head.length >= MAX_HEAD ? bytes.length : -1;
      }
      const name = m[1]!.replace(/["`]/g, '');
      this.table = this.database ? `${this.database}.${name}` : name;
      this.backslashes = m[1]!.includes('`'); // MySQL quotes names with backticks and escapes strings with backslashes
      this.inValues = true;
      pos += m[0].length - this.head.length;
      this.head = '';
    }
    // State in locals for the loop (a GB of INSERTs is a billion characters); written back on the way out.
    let quote = this.quote;
    let depth = this.depth;
    let tuples = this.tuples;
    let complete = this.complete;
    const escapes = this.backslashes;
    const save = () => {
      this.quote = quote;
      this.depth = depth;
      this.tuples = tuples;
      this.complete = complete;
    };
    if (this.escapeAtEnd) {
      this.escapeAtEnd = false;
      pos++;
    }
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false;
      if (bytes[pos] === closing(quote)) pos++; // a doubled quote: the string goes on
      else quote = 0;
    }
    // Bytes, not a string: a loop over a Buffer runs two to three times as fast.
    const n = bytes.length;
    /** the next backslash at or after a position (searched once, not once per string) */
    let nextBackslash = -2;
    for (let at = pos; at < n; at++) {
      if (quote !== 0) {
        // Inside a string most bytes are data. A short string is walked (a call into memchr costs more than
        // its bytes); past SHORT_STRING, jump to its closing quote (memchr), or to an escape before it.
        const q = closing(quote);
        const escaping = escapes || quote === E_STRING;
        const limit = Math.min(n, at + SHORT_STRING);
        let k = at;
        while (k < limit) {
          const b = bytes[k]!;
          if (b === q || (escaping && b === BACKSLASH)) break;
          k++;
        }
        if (k < limit) at = k;
        else {
          if (k >= n) break;
          const close = bytes.indexOf(q, k);
          if (escaping && nextBackslash !== -1 && nextBackslash < k) nextBackslash = bytes.indexOf(BACKSLASH, k);
          const escape = escaping ? nextBackslash : -1;
          if (close < 0 && escape < 0) break;
          at = escape >= 0 && (close < 0 || escape < close) ? escape : close;
        }
      }
      const c = bytes[at]!;
      if (SPECIAL[c] === 0) continue;
      if (quote !== 0) {
        if (c === BACKSLASH && (escapes || quote === E_STRING)) {
          if (at + 1 >= n) this.escapeAtEnd = true;
          at++;
        } else if (c === closing(quote)) {
          if (at + 1 >= n) {
            this.quoteAtEnd = true;
            save();
            return -1;
          }
          if (bytes[at + 1] === c) at++;
          else quote = 0;
        }
        continue;
      }
      if (c === QUOTE) {
        const before = bytes[at - 1];
        quote = !escapes && (before === 0x45 || before === 0x65) ? E_STRING : QUOTE;
      } else if (c === DOUBLE_QUOTE || c === BACKTICK) quote = c;
      else if (c === OPEN) {
        if (++depth === 1) tuples++;
      } else if (c === CLOSE) {
        if (--depth === 0) complete++;
      } else if (c === SEMICOLON && depth === 0) {
        save();
        return at + 1;
      }
    }
    save();
    return -1;
  }
}
