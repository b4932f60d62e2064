import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { terminalIsUnicode, toAscii } from '../../src/ui/charset.js';

describe('the terminal\'s character set', () => {
  it('is ASCII for a locale that is set and not UTF-8, and for vt100, the Linux console and dumb terminals', () => {
    expect(terminalIsUnicode({ LANG: 'en_US.UTF-8', TERM: 'xterm-256color' })).toBe(true);
    expect(terminalIsUnicode({ LANG: 'C.utf8' })).toBe(true);
    expect(terminalIsUnicode({ TERM: 'screen' })).toBe(true); // no locale at all: taken as UTF-8
    expect(terminalIsUnicode({ LC_ALL: 'C', LANG: 'en_US.UTF-8' })).toBe(false); // LC_ALL wins
    expect(terminalIsUnicode({ LC_CTYPE: 'POSIX' })).toBe(false);
    expect(terminalIsUnicode({ LANG: 'de_DE.ISO-8859-1' })).toBe(false);
    for (const TERM of ['vt100', 'vt220', 'linux', 'dumb']) expect(terminalIsUnicode({ LANG: 'C.UTF-8', TERM })).toBe(false);
  });

  it('ASCII keeps every column where it was: glyphs by their stand-ins, other text by one ? per column', () => {
    const line = '› ✓ verified  café-日本.tar.gz ╭─╮ …';
    const ascii = toAscii(line);
    expect(ascii).toBe('> + verified  caf?-????.tar.gz +-+ ~');
    expect(stringWidth(ascii)).toBe(stringWidth(line));
    expect(toAscii('\u001b[31m✗ corrupt\u001b[39m')).toBe('\u001b[31mX corrupt\u001b[39m');
  });
});
