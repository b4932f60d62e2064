import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import textWidth from '../../src/ui/text-width.js';

// The fast path must give string-width's answer for every character it counts itself.
const RANGES: [number, number][] = [
  [0x20, 0x7e], [0xb7, 0xb7], [0x2014, 0x2014], [0x2018, 0x2019], [0x201c, 0x201d], [0x2026, 0x2026], [0x203a, 0x203a],
  [0x2190, 0x2193], [0x21b5, 0x21b5], [0x23ce, 0x23ce], [0x2500, 0x259f], [0x25a0, 0x25a0], [0x25cb, 0x25cb], [0x2713, 0x2713], [0x2717, 0x2717], [0x2800, 0x28ff],
];

describe('the width of the inspector’s text', () => {
  it('is string-width’s for every character of the fast path, alone and in coloured text', () => {
    for (const [from, to] of RANGES) {
      for (let c = from; c <= to; c++) {
        const ch = String.fromCodePoint(c);
        expect(textWidth(ch), `U+${c.toString(16)}`).toBe(stringWidth(ch));
        const line = `\u001b[32m${ch} ok\u001b[39m  name-${ch}.tar.gz`;
        expect(textWidth(line), `U+${c.toString(16)} in a line`).toBe(stringWidth(line));
      }
    }
  });

  it('leaves everything else to string-width: wide, combining and emoji characters, and other escapes', () => {
    for (const text of ['日本語のファイル.tar', 'e\u0301', '👍 done', 'a\u001b]8;;http://x\u0007link\u001b]8;;\u0007', '\u25fd', '\u2705 ok', '\t']) {
      expect(textWidth(text), JSON.stringify(text)).toBe(stringWidth(text));
    }
  });
});
