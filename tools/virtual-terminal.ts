import { EventEmitter } from 'node:events';
import xterm from '@xterm/headless';

/**
 * A terminal in memory for tests and screenshots: streams that look like a
 * TTY of a fixed size to Ink, and a real terminal emulator (xterm.js,
 * headless) that interprets what Ink writes, cursor moves and all. What the
 * tests read is what a person would see, including incremental redraws.
 */

class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  constructor(
    private readonly vt: VirtualTerminal,
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (data: string | Uint8Array, ...rest: unknown[]): boolean => {
    this.vt.feed(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  };
  getColorDepth = () => 8;
  hasColors = () => true;
  cursorTo = () => true;
  moveCursor = () => true;
  clearLine = () => true;
}

class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private queue: string[] = [];
  isRaw = false;
  setRawMode(mode: boolean) {
    this.isRaw = mode;
    return this;
  }
  setEncoding() {
    return this;
  }
  resume() {
    return this;
  }
  pause() {
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  read = (): string | null => this.queue.shift() ?? null;
  push(data: string) {
    this.queue.push(data);
    this.emit('readable');
    this.emit('data', data);
  }
}

export interface Cell {
  char: string;
  fg: number | undefined;
  bg: number | undefined;
  bold: boolean;
  dim: boolean;
  inverse: boolean;
  underline: boolean;
}

/** Key names → the bytes a terminal sends. */
export const KEYS: Record<string, string> = {
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  ctrlC: '\u0003',
  backspace: '\u007f',
};

export class VirtualTerminal {
  readonly term: InstanceType<typeof xterm.Terminal>;
  readonly stdout: FakeStdout;
  readonly stdin = new FakeStdin();
  /** every byte written, for tests that count output */
  written = 0;
  private pending: Promise<void> = Promise.resolve();

  constructor(columns = 80, rows = 24) {
    // convertEol: a real tty turns "\n" into CR LF (ONLCR) before the terminal sees it.
    this.term = new xterm.Terminal({ cols: columns, rows, allowProposedApi: true, convertEol: true });
    this.stdout = new FakeStdout(this, columns, rows);
  }

  feed(data: string): void {
    this.written += data.length;
    this.pending = this.pending.then(() => new Promise<void>((resolve) => this.term.write(data, resolve)));
  }

  /** Types keys: plain text, or names from KEYS in braces: "jjj{enter}". */
  press(keys: string): void {
    for (const part of keys.split(/(\{[a-zA-Z]+\})/).filter(Boolean)) {
      const named = /^\{([a-zA-Z]+)\}$/.exec(part);
      this.stdin.push(named ? (KEYS[named[1]!] ?? part) : part);
    }
  }

  resize(columns: number, rows: number): void {
    this.term.resize(columns, rows);
    this.stdout.columns = columns;
    this.stdout.rows = rows;
    this.stdout.emit('resize');
  }

  /** Waits until everything written so far has been interpreted, then a little for React. */
  async settle(ms = 150): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    await this.pending;
  }

  /** The screen as lines of text (trailing spaces trimmed). */
  lines(): string[] {
    const buf = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.term.rows; y++) out.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
    return out;
  }

  text(): string {
    return this.lines().join('\n');
  }

  /** Cells with their attributes, for screenshots. */
  cells(): Cell[][] {
    const buf = this.term.buffer.active;
    const rows: Cell[][] = [];
    for (let y = 0; y < this.term.rows; y++) {
      const line = buf.getLine(buf.viewportY + y);
      const row: Cell[] = [];
      for (let x = 0; x < this.term.cols; x++) {
        const c = line?.getCell(x);
        if (!c) {
          row.push({ char: ' ', fg: undefined, bg: undefined, bold: false, dim: false, inverse: false, underline: false });
          continue;
        }
        if (c.getWidth() === 0) continue;
        row.push({
          char: c.getChars() || ' ',
          fg: c.isFgDefault() ? undefined : c.getFgColor(),
          bg: c.isBgDefault() ? undefined : c.getBgColor(),
          bold: c.isBold() !== 0,
          dim: c.isDim() !== 0,
          inverse: c.isInverse() !== 0,
          underline: c.isUnderline() !== 0,
        });
      }
      rows.push(row);
    }
    return rows;
  }
}
