import stringWidth, { type Options } from 'string-width';

/** Colour codes (SGR), the only escape sequences Ink puts into the text it measures. */
const SGR = /\u001b\[[0-9;]*m/g;

/**
 * Printable ASCII and the symbols the inspector draws (glyphs, arrows, box
 * drawing, block elements, the braille spinner, typographic quotes): one
 * column each, as string-width counts them (test/ui/text-width.test.ts
 * checks every one).
 */
const ONE_COLUMN = /^[\u0020-\u007e\u00b7\u2014\u2018\u2019\u201c\u201d\u2026\u203a\u2190-\u2193\u21b5\u23ce\u2500-\u259f\u25a0\u25cb\u2713\u2717\u2800-\u28ff]*$/;

/**
 * string-width with a fast path: Ink measures every line of every frame,
 * and string-width segments any text that is not plain ASCII into grapheme
 * clusters and tests each against an emoji expression. The inspector's
 * lines are ASCII plus a few one-column symbols; those are counted directly
 * and everything else goes to string-width. The build routes Ink's imports
 * of string-width here (build.mjs).
 */
export default function textWidth(text: string, options?: Options): number {
  if (options === undefined && typeof text === 'string') {
    const plain = text.includes('\u001b') ? text.replace(SGR, '') : text;
    if (ONE_COLUMN.test(plain)) return plain.length;
  }
  return stringWidth(text, options);
}
