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
  /** keys pushed that the program has not read yet */
  get unread(): number {
    return this.queue.length;
  }
  push(data: string) {
    this.queue.push(data);
    this.emit('readable');
    this.emit('data', data);
  }
}

export interface Cell {
  char: string;
  /** palette index (0-255) when fgMode is 'palette', 0xRRGGBB when 'rgb'; undefined: the default colour */
  fg: number | undefined;
  bg: number | undefined;
  fgMode: ColorMode;
  bgMode: ColorMode;
  bold: boolean;
  dim: boolean;
  inverse: boolean;
  underline: boolean;
  italic: boolean;
  strikethrough: boolean;
  invisible: boolean;
  /** the column the cell starts at (cells after a wide character are not listed) */
  col: number;
  /** 1, or 2 for a wide character */
  width: number;
}

export type ColorMode = 'default' | 'palette' | 'rgb';

const blankCell = (col: number): Cell => ({
  char: ' ',
  fg: undefined,
  bg: undefined,
  fgMode: 'default',
  bgMode: 'default',
  bold: false,
  dim: false,
  inverse: false,
  underline: false,
  italic: false,
  strikethrough: false,
  invisible: false,
  col,
  width: 1,
});

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
  /** what was put on the clipboard (OSC 52), oldest first */
  readonly clipboard: string[] = [];
  private pending: Promise<void> = Promise.resolve();

  constructor(columns = 80, rows = 24) {
    // convertEol: a real tty turns "\n" into CR LF (ONLCR) before the terminal sees it.
    this.term = new xterm.Terminal({ cols: columns, rows, allowProposedApi: true, convertEol: true });
    this.stdout = new FakeStdout(this, columns, rows);
    this.term.parser.registerOscHandler(52, (data: string) => {
      this.clipboard.push(Buffer.from(data.slice(data.indexOf(';') + 1), 'base64').toString('utf8'));
      return true;
    });
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

  /**
   * Waits until the program has read every key pushed and then drawn nothing
   * for a whole `windowMs` (longer than the inspector's frame interval).
   * Timers fire in the order they fall due, so a frame the program scheduled
   * before the window opened is drawn before it closes, however busy the
   * machine is. Results of work that goes on in the background (a check, a
   * file read) are not covered: wait for their text on the screen instead.
   */
  async quiet(windowMs = 150, deadlineMs = 30_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const before = this.written;
      await new Promise((r) => setTimeout(r, windowMs));
      await this.pending;
      if (this.stdin.unread === 0 && this.written === before) return;
      if (Date.now() > until) throw new Error(`the terminal never went quiet in ${deadlineMs} ms; it shows:\n${this.text()}`);
    }
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

  /**
   * Cells with their attributes, for screenshots: one row per terminal row,
   * each cell with the column it starts at (the second half of a wide
   * character is not listed) and its colours with their mode.
   */
  cells(): Cell[][] {
    const buf = this.term.buffer.active;
    const rows: Cell[][] = [];
    const scratch = buf.getNullCell();
    for (let y = 0; y < this.term.rows; y++) {
      const line = buf.getLine(buf.viewportY + y);
      const row: Cell[] = [];
      for (let x = 0; x < this.term.cols; x++) {
        const c = line?.getCell(x, scratch);
        if (!c) {
          row.push(blankCell(x));
          continue;
        }
        const width = c.getWidth();
        if (width === 0) continue;
        const fgMode: ColorMode = c.isFgRGB() ? 'rgb' : c.isFgPalette() ? 'palette' : 'default';
        const bgMode: ColorMode = c.isBgRGB() ? 'rgb' : c.isBgPalette() ? 'palette' : 'default';
        row.push({
          char: c.getChars() || ' ',
          fg: fgMode === 'default' ? undefined : c.getFgColor(),
          bg: bgMode === 'default' ? undefined : c.getBgColor(),
          fgMode,
          bgMode,
          bold: c.isBold() !== 0,
          dim: c.isDim() !== 0,
          inverse: c.isInverse() !== 0,
          underline: c.isUnderline() !== 0,
          italic: c.isItalic() !== 0,
          strikethrough: c.isStrikethrough() !== 0,
          invisible: c.isInvisible() !== 0,
          col: x,
          width,
        });
      }
      rows.push(row);
    }
    return rows;
  }
}
