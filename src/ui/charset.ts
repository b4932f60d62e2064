import stringWidth from 'string-width';

/**
 * Whether the terminal can show the inspector's glyphs and borders. A
 * locale that is set and is not UTF-8 (LC_ALL=C, a Latin-1 locale), and
 * terminals that only know ASCII (vt100, the Linux console's default font,
 * dumb) get ASCII instead. No locale at all is taken as UTF-8, as every
 * terminal emulator of today is.
 */
export function terminalIsUnicode(env: NodeJS.ProcessEnv = process.env): boolean {
  if (/^(vt\d+|linux|dumb)$/.test(env.TERM ?? '')) return false;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return locale === '' || /utf-?8/i.test(locale);
}

/** One ASCII character for each glyph the screens use, so columns stay where they were. */
const ASCII: Record<string, string> = {
  '✓': '+', '✗': 'X', '·': '.', '…': '~', '○': 'o', '›': '>', '■': '#', '▏': '_', '█': '#', '░': '-',
  '─': '-', '│': '|', '╭': '+', '╮': '+', '╰': '+', '╯': '+', '┌': '+', '┐': '+', '└': '+', '┘': '+',
  '⠋': '|', '⠙': '/', '⠹': '-', '⠸': '\\', '⠼': '|', '⠴': '/', '⠦': '-', '⠧': '\\', '⠇': '|', '⠏': '/',
  '↑': '^', '↓': 'v', '←': '<', '→': '>', '↵': '<', '“': '"', '”': '"', '‘': "'", '’': "'", '—': '-', '–': '-',
};

/**
 * The text with every non-ASCII character replaced by ASCII of the same
 * width: a glyph by its stand-in, anything else (a name in another script)
 * by `?` per column, as `ls` shows names it cannot print in the C locale.
 */
export function toAscii(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[^\x00-\x7f]/gu, (c) => ASCII[c] ?? '?'.repeat(stringWidth(c)));
}
