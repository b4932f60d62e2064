/**
 * File-name patterns (`*.tar.gz`, `db-??.sql`, `backup-[0-9]*`), matched in
 * time proportional to name × pattern whatever either holds. Glob libraries
 * that compile to a regular expression (picomatch, minimatch) backtrack
 * polynomially in the number of stars: one 250-character name against
 * `*a*a*a*a*a*b` took seconds to minutes and stopped the event loop. Here a
 * star only ever goes back to the last star seen (the classic wildcard
 * algorithm), so no input can make a match slow.
 *
 * Supported: `*` (any run, also empty), `?` (one character), `[abc]`,
 * `[a-z]`, `[!a-z]` / `[^a-z]`, and `\` to take the next character as is.
 * Names are compared case-insensitively, as backup names are by people.
 */
type Token = { kind: 'star' } | { kind: 'one' } | { kind: 'char'; c: string } | { kind: 'set'; negate: boolean; ranges: [string, string][] };

function tokenize(pattern: string): Token[] {
  const out: Token[] = [];
  const p = [...pattern.toLowerCase()];
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (out.at(-1)?.kind !== 'star') out.push({ kind: 'star' });
    } else if (c === '?') out.push({ kind: 'one' });
    else if (c === '\\' && i + 1 < p.length) out.push({ kind: 'char', c: p[++i]! });
    else if (c === '[') {
      const set = readSet(p, i);
      if (set) {
        out.push(set.token);
        i = set.end;
      } else out.push({ kind: 'char', c });
    } else out.push({ kind: 'char', c });
  }
  return out;
}

/** A bracket expression from `[` at `start`; undefined when it is not closed (then `[` is literal). */
function readSet(p: string[], start: number): { token: Token; end: number } | undefined {
  let i = start + 1;
  const negate = p[i] === '!' || p[i] === '^';
  if (negate) i++;
  const ranges: [string, string][] = [];
  // a `]` right after the opening is a member, as in POSIX
  for (let first = true; i < p.length && (p[i] !== ']' || first); i++, first = false) {
    const lo = p[i]!;
    if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
      ranges.push([lo, p[i + 2]!]);
      i += 2;
    } else ranges.push([lo, lo]);
  }
  if (i >= p.length) return undefined;
  return { token: { kind: 'set', negate, ranges }, end: i };
}

function matchesOne(t: Token, c: string): boolean {
  if (t.kind === 'one') return true;
  if (t.kind === 'char') return t.c === c;
  if (t.kind === 'set') return t.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== t.negate;
  return false;
}

function matchTokens(tokens: Token[], name: string[]): boolean {
  let t = 0;
  let n = 0;
  let starT = -1;
  let starN = 0;
  while (n < name.length) {
    const tok = tokens[t];
    if (tok?.kind === 'star') {
      starT = t++;
      starN = n;
    } else if (tok && matchesOne(tok, name[n]!)) {
      t++;
      n++;
    } else if (starT >= 0) {
      // let the last star take one more character, and try again from there
      t = starT + 1;
      n = ++starN;
    } else return false;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

/** A matcher for any of `patterns`. */
export function globMatcher(patterns: string[]): (name: string) => boolean {
  const compiled = patterns.map(tokenize);
  return (name) => {
    const chars = [...name.toLowerCase()];
    return compiled.some((tokens) => matchTokens(tokens, chars));
  };
}
