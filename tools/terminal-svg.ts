import type { Cell } from './virtual-terminal.js';

/**
 * Renders a terminal screen (VirtualTerminal.cells()) as SVG: a dark
 * background, a rect per run of cells with a background colour, and a
 * <text> per run of same-styled cells with every character placed at its
 * column, so the grid stays exact whatever monospace font the viewer has.
 * Block elements and box-drawing lines are drawn as shapes, as terminals
 * do, so they join up between rows and columns.
 */

export interface Theme {
  background: string;
  foreground: string;
  /** the 16 ANSI colours: black, red, green, yellow, blue, magenta, cyan, white, then the bright ones */
  ansi: string[];
}

/** Tokyo Night: readable on a dark background, distinct reds, greens and yellows. */
export const THEME: Theme = {
  background: '#1a1b26',
  foreground: '#c0caf5',
  ansi: [
    '#15161e', '#f7768e', '#9ece6a', '#e0af68', '#7aa2f7', '#bb9af7', '#7dcfff', '#a9b1d6',
    '#414868', '#ff899d', '#9fe044', '#faba4a', '#8db0ff', '#c7a9ff', '#a4daff', '#c0caf5',
  ],
};

export interface SvgOptions {
  theme?: Theme;
  fontSize?: number;
  cellWidth?: number;
  cellHeight?: number;
  /** space around the screen */
  padding?: number;
  fontFamily?: string;
  title?: string;
}

export const FONT_FAMILY = "'DejaVu Sans Mono', 'Cascadia Mono', 'SF Mono', Menlo, Consolas, 'Liberation Mono', monospace";

const hex = (n: number) => `#${(n & 0xffffff).toString(16).padStart(6, '0')}`;

/** xterm's 256-colour palette: the theme's 16, the 6x6x6 cube, 24 greys. */
export function paletteColor(index: number, theme: Theme = THEME): string {
  if (index < 16) return theme.ansi[index] ?? theme.foreground;
  if (index < 232) {
    const i = index - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return hex((level(Math.floor(i / 36)) << 16) | (level(Math.floor(i / 6) % 6) << 8) | level(i % 6));
  }
  const grey = 8 + (index - 232) * 10;
  return hex((grey << 16) | (grey << 8) | grey);
}

function colorOf(mode: Cell['fgMode'], value: number | undefined, theme: Theme): string | undefined {
  if (mode === 'rgb' && value !== undefined) return hex(value);
  if (mode === 'palette' && value !== undefined) return paletteColor(value, theme);
  return undefined;
}

function mix(a: string, b: string, t: number): string {
  const pa = parseInt(a.slice(1), 16);
  const pb = parseInt(b.slice(1), 16);
  const ch = (p: number, s: number) => (p >> s) & 0xff;
  const m = (s: number) => Math.round(ch(pa, s) * (1 - t) + ch(pb, s) * t);
  return hex((m(16) << 16) | (m(8) << 8) | m(0));
}

interface Look {
  fg: string;
  /** undefined: the screen's background */
  bg: string | undefined;
  bold: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  invisible: boolean;
}

/** Final colours of a cell: inverse swaps them, dim fades the foreground towards the background. */
export function lookOf(cell: Cell, theme: Theme = THEME): Look {
  let fg = colorOf(cell.fgMode, cell.fg, theme);
  let bg = colorOf(cell.bgMode, cell.bg, theme);
  if (cell.inverse) {
    const swappedFg = bg ?? theme.background;
    bg = fg ?? theme.foreground;
    fg = swappedFg;
  }
  let color = fg ?? theme.foreground;
  if (cell.dim) color = mix(color, bg ?? theme.background, 0.45);
  return { fg: color, bg, bold: cell.bold, italic: cell.italic, underline: cell.underline, strike: cell.strikethrough, invisible: cell.invisible };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n: number) => String(Math.round(n * 100) / 100);

/** Box-drawing lines by the arms they have: up, right, down, left; 1 light, 2 heavy. */
const BOX: Record<string, [number, number, number, number]> = {
  '─': [0, 1, 0, 1], '│': [1, 0, 1, 0], '┌': [0, 1, 1, 0], '┐': [0, 0, 1, 1], '└': [1, 1, 0, 0], '┘': [1, 0, 0, 1],
  '├': [1, 1, 1, 0], '┤': [1, 0, 1, 1], '┬': [0, 1, 1, 1], '┴': [1, 1, 0, 1], '┼': [1, 1, 1, 1],
  '━': [0, 2, 0, 2], '┃': [2, 0, 2, 0], '┏': [0, 2, 2, 0], '┓': [0, 0, 2, 2], '┗': [2, 2, 0, 0], '┛': [2, 0, 0, 2],
  '┣': [2, 2, 2, 0], '┫': [2, 0, 2, 2], '┳': [0, 2, 2, 2], '┻': [2, 2, 0, 2], '╋': [2, 2, 2, 2],
  '╴': [0, 0, 0, 1], '╵': [1, 0, 0, 0], '╶': [0, 1, 0, 0], '╷': [0, 0, 1, 0],
};
/** Rounded corners: the two arms they join. */
const ROUND: Record<string, ['up' | 'down', 'left' | 'right']> = { '╭': ['down', 'right'], '╮': ['down', 'left'], '╰': ['up', 'right'], '╯': ['up', 'left'] };
/** Block elements: [x0, y0, x1, y1] as fractions of the cell, and an opacity. */
const BLOCKS: Record<string, [number, number, number, number, number]> = {
  '█': [0, 0, 1, 1, 1], '▀': [0, 0, 1, 0.5, 1], '▄': [0, 0.5, 1, 1, 1], '▌': [0, 0, 0.5, 1, 1], '▐': [0.5, 0, 1, 1, 1],
  '░': [0, 0, 1, 1, 0.25], '▒': [0, 0, 1, 1, 0.5], '▓': [0, 0, 1, 1, 0.75],
  '▁': [0, 7 / 8, 1, 1, 1], '▂': [0, 6 / 8, 1, 1, 1], '▃': [0, 5 / 8, 1, 1, 1], '▅': [0, 3 / 8, 1, 1, 1], '▆': [0, 2 / 8, 1, 1, 1], '▇': [0, 1 / 8, 1, 1, 1],
  '▏': [0, 0, 1 / 8, 1, 1], '▎': [0, 0, 2 / 8, 1, 1], '▍': [0, 0, 3 / 8, 1, 1], '▋': [0, 0, 5 / 8, 1, 1], '▊': [0, 0, 6 / 8, 1, 1], '▉': [0, 0, 7 / 8, 1, 1],
};

export const isDrawn = (ch: string): boolean => ch in BOX || ch in ROUND || ch in BLOCKS;

function drawGlyph(ch: string, x: number, y: number, w: number, h: number, color: string, stroke: number): string {
  const block = BLOCKS[ch];
  if (block) {
    const [x0, y0, x1, y1, opacity] = block;
    return `<rect x="${num(x + x0 * w)}" y="${num(y + y0 * h)}" width="${num((x1 - x0) * w)}" height="${num((y1 - y0) * h)}" fill="${color}"${opacity < 1 ? ` fill-opacity="${opacity}"` : ''}/>`;
  }
  const cx = x + w / 2;
  const cy = y + h / 2;
  // Lines reach half a pixel into the next cell, so the lines of neighbouring cells overlap instead of leaving a seam.
  const o = 0.5;
  const round = ROUND[ch];
  if (round) {
    const [v, hz] = round;
    const vy = v === 'up' ? y - o : y + h + o;
    const hx = hz === 'left' ? x - o : x + w + o;
    return `<path d="M${num(cx)} ${num(vy)}L${num(cx)} ${num(cy + (v === 'up' ? -1 : 1) * (w / 2))}Q${num(cx)} ${num(cy)} ${num(cx + (hz === 'left' ? -1 : 1) * (w / 2))} ${num(cy)}L${num(hx)} ${num(cy)}" fill="none" stroke="${color}" stroke-width="${stroke}"/>`;
  }
  const [up, right, down, left] = BOX[ch]!;
  const parts: string[] = [];
  // Each arm runs from the centre to the edge, a little past the centre so arms join squarely.
  const arm = (weight: number, x1: number, y1: number, x2: number, y2: number) => {
    if (weight) parts.push(`<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${color}" stroke-width="${num(stroke * weight)}"/>`);
  };
  const over = (weight: number) => (stroke * Math.max(up, right, down, left, weight)) / 2;
  arm(up, cx, y - o, cx, cy + over(up));
  arm(down, cx, cy - over(down), cx, y + h + o);
  arm(left, x - o, cy, cx + over(left), cy);
  arm(right, cx - over(right), cy, x + w + o, cy);
  return parts.join('');
}

/** Characters placed one per x position; spaces kept (xml:space), so columns never shift. */
function textElement(look: Look, xs: number[], text: string, y: number): string {
  const attrs = [`fill="${look.fg}"`];
  if (look.bold) attrs.push('font-weight="bold"');
  if (look.italic) attrs.push('font-style="italic"');
  return `<text xml:space="preserve" x="${xs.map(num).join(' ')}" y="${num(y)}" ${attrs.join(' ')}>${esc(text)}</text>`;
}

/** One screen as an SVG document. */
export function cellsToSvg(rows: Cell[][], opts: SvgOptions = {}): string {
  const theme = opts.theme ?? THEME;
  const fontSize = opts.fontSize ?? 14;
  const cw = opts.cellWidth ?? 8.4;
  const ch = opts.cellHeight ?? 17;
  const pad = opts.padding ?? 14;
  const cols = Math.max(0, ...rows.map((r) => r.reduce((m, c) => Math.max(m, c.col + c.width), 0)));
  const width = pad * 2 + cols * cw;
  const height = pad * 2 + rows.length * ch;
  // Baseline: the font's ascent (about 0.93 em for DejaVu Sans Mono) below a small top gap.
  const baseline = (ch - fontSize * 1.164) / 2 + fontSize * 0.928;
  const backgrounds: string[] = [];
  const shapes: string[] = [];
  const texts: string[] = [];
  const lines: string[] = [];

  rows.forEach((row, r) => {
    const y = pad + r * ch;
    // Backgrounds: merge neighbouring cells of one colour.
    let bgRun: { from: number; to: number; color: string } | undefined;
    const flushBg = () => {
      if (bgRun) backgrounds.push(`<rect x="${num(pad + bgRun.from * cw)}" y="${num(y)}" width="${num((bgRun.to - bgRun.from) * cw)}" height="${ch}" fill="${bgRun.color}"/>`);
      bgRun = undefined;
    };
    // Text: a run of cells of one look; spaces join any run (they draw nothing).
    let run: { look: Look; chars: string[]; xs: number[] } | undefined;
    let pendingSpaces: number[] = [];
    const flushText = () => {
      if (run && run.chars.length) texts.push(textElement(run.look, run.xs, run.chars.join(''), y + baseline));
      run = undefined;
      pendingSpaces = [];
    };
    let blockRun: { char: string; color: string; from: number; to: number } | undefined;
    const flushBlocks = () => {
      if (blockRun) shapes.push(drawGlyph(blockRun.char, pad + blockRun.from * cw, y, (blockRun.to - blockRun.from) * cw, ch, blockRun.color, 1));
      blockRun = undefined;
    };
    const sameText = (a: Look, b: Look) => a.fg === b.fg && a.bold === b.bold && a.italic === b.italic;

    for (const cell of row) {
      const look = lookOf(cell, theme);
      const x = pad + cell.col * cw;
      const w = cell.width * cw;
      if (look.bg) {
        if (bgRun && bgRun.color === look.bg && bgRun.to === cell.col) bgRun.to = cell.col + cell.width;
        else {
          flushBg();
          bgRun = { from: cell.col, to: cell.col + cell.width, color: look.bg };
        }
      } else flushBg();
      if (look.underline) lines.push(`<rect x="${num(x)}" y="${num(y + baseline + 2)}" width="${num(w)}" height="1" fill="${look.fg}"/>`);
      if (look.strike) lines.push(`<rect x="${num(x)}" y="${num(y + ch / 2)}" width="${num(w)}" height="1" fill="${look.fg}"/>`);
      const char = look.invisible ? ' ' : cell.char;
      if (char === ' ') {
        if (run) pendingSpaces.push(x);
        continue;
      }
      if (isDrawn(char)) {
        flushText();
        const block = BLOCKS[char];
        // Neighbouring block elements of one kind become one rect: no seams between cells.
        if (block && blockRun && blockRun.char === char && blockRun.color === look.fg && blockRun.to === cell.col) blockRun.to = cell.col + cell.width;
        else {
          flushBlocks();
          if (block) blockRun = { char, color: look.fg, from: cell.col, to: cell.col + cell.width };
          else shapes.push(drawGlyph(char, x, y, w, ch, look.fg, look.bold ? 1.6 : 1));
        }
        continue;
      }
      flushBlocks();
      // A cell of several code units (a combining sequence, an astral character) gets its own element.
      if (char.length !== 1) {
        flushText();
        texts.push(textElement(look, [x], char, y + baseline));
        continue;
      }
      if (!run || !sameText(run.look, look)) {
        flushText();
        run = { look, chars: [], xs: [] };
      }
      for (const sx of pendingSpaces) {
        run.chars.push(' ');
        run.xs.push(sx);
      }
      pendingSpaces = [];
      run.chars.push(char);
      run.xs.push(x);
    }
    flushBg();
    flushText();
    flushBlocks();
  });

  const family = opts.fontFamily ?? FONT_FAMILY;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}">`,
    opts.title ? `<title>${esc(opts.title)}</title>` : '',
    `<rect width="100%" height="100%" rx="8" ry="8" fill="${theme.background}"/>`,
    `<g shape-rendering="crispEdges">${backgrounds.join('')}</g>`,
    `<g>${shapes.join('')}${lines.join('')}</g>`,
    `<g font-family="${esc(family)}" font-size="${fontSize}" xml:space="preserve">`,
    texts.join('\n'),
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}
