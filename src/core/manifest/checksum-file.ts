import { basename } from 'node:path';
import { ManifestError } from '../errors.js';
import { HEX_LENGTH, type Algorithm } from '../hash/algorithms.js';
import type { Expectation, ManifestKind } from './model.js';

/**
 * Reads checksum lists as their own tools do: GNU coreutils (`HEX  NAME`,
 * `HEX *NAME`, `HEX NAME`, a tab for the space, the leading-backslash escape
 * for odd names), BSD tag lines (`SHA256 (NAME) = HEX`, also as rhash pads
 * them: `MD5   (NAME) = HEX`), b3sum output, and SFV (`NAME HEX`, `;`
 * comments) with a digest we compute. Every line is checked strictly: a line
 * we cannot read is an error naming the file and line, never skipped. Lines
 * of algorithms we do not compute (rhash lists CRC32, TIGER…) are passed
 * over when the list gives a supported digest too; a list with none is an
 * error that names what it holds.
 */

const TAG_ALGORITHMS: Record<string, Algorithm> = {
  MD5: 'md5',
  SHA1: 'sha1',
  SHA256: 'sha256',
  'SHA2-256': 'sha256',
  SHA512: 'sha512',
  'SHA2-512': 'sha512',
  BLAKE3: 'blake3',
};

const BY_LENGTH: Record<number, Algorithm> = { 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' };

/** The algorithm a checksum file's name implies, if any ("x.sha256", "SHA512SUMS", "B3SUMS"). */
export function algorithmHint(manifestPath: string): Algorithm | undefined {
  const name = basename(manifestPath).toLowerCase();
  if (/(^|\.)(b3|blake3)(sums?)?(\.txt)?$/.test(name)) return 'blake3';
  for (const algo of ['sha256', 'sha512', 'sha1', 'md5'] as const) {
    if (new RegExp(`(^|\\.)${algo}(sums?)?(\\.txt)?$`).test(name)) return algo;
  }
  return undefined;
}

function unescapeName(name: string): string {
  return name.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

const HEX = /^[0-9a-fA-F]+$/;

interface Parsed {
  algorithm: Algorithm;
  hex: string;
  name: string;
  kind: ManifestKind;
}

function parseLine(file: string, lineNo: number, raw: string, hint: Algorithm | undefined): Parsed {
  const field = `line ${lineNo}`;
  const escaped = raw.startsWith('\\');
  const line = escaped ? raw.slice(1) : raw;

  const tag = /^([A-Za-z0-9-]+) *\((.*)\) ?= ?([0-9a-zA-Z]*)$/.exec(line);
  if (tag) {
    const [, label, name, hex] = tag as unknown as [string, string, string, string];
    const algorithm = TAG_ALGORITHMS[label.toUpperCase()];
    if (!algorithm) throw Object.assign(new UnsupportedAlgorithm(file, field, label), { listedName: escaped ? unescapeName(name) : name });
    checkHex(file, field, hex, algorithm);
    return { algorithm, hex: hex.toLowerCase(), name: escaped ? unescapeName(name) : name, kind: 'bsd-tag' };
  }

  // shasum writes a mode character after one space: U (universal newlines) and ^ (bits) digest other bytes than the file's.
  const mode = /^[0-9a-fA-F]+ ([U^])\S/.exec(line);
  if (mode) {
    throw new ManifestError(file, field, `unsupported format: shasum ${mode[1] === 'U' ? '-U (universal newlines: the digest is of the text with its line endings changed' : '-0 (bit mode: the digest is of a bit string'}, not of the file's bytes); write the list with sha256sum or shasum -b`);
  }

  // coreutils: the digest, one space or tab, then an optional binary/text marker.
  const gnu = /^([0-9a-fA-F]+)[ \t]([ *]?)(.*)$/.exec(line);
  if (!gnu) {
    const first = line.split(/\s/)[0] ?? '';
    if (first && !HEX.test(first)) throw new ManifestError(file, field, `not a checksum line: "${first.slice(0, 40)}" is not hexadecimal`);
    throw new ManifestError(file, field, 'not a checksum line: expected "HEX  NAME" or "ALGO (NAME) = HEX"');
  }
  const [, hex, , name] = gnu as unknown as [string, string, string, string];
  if (name === '') throw new ManifestError(file, field, 'no file name after the digest');
  const algorithm = hint ?? BY_LENGTH[hex.length];
  if (!algorithm) throw new ManifestError(file, field, `digest has ${hex.length} hex digits, which matches no supported algorithm`);
  checkHex(file, field, hex, algorithm);
  return { algorithm, hex: hex.toLowerCase(), name: escaped ? unescapeName(name) : name, kind: algorithm === 'blake3' ? 'b3sum' : 'coreutils' };
}

function checkHex(file: string, field: string, hex: string, algorithm: Algorithm): void {
  if (!HEX.test(hex)) throw new ManifestError(file, field, 'digest is not hexadecimal');
  if (hex.length !== HEX_LENGTH[algorithm]) {
    throw new ManifestError(file, field, `${algorithm} digest has ${hex.length} hex digits; ${algorithm} needs ${HEX_LENGTH[algorithm]}`);
  }
}

/** A digest of an algorithm restorable does not compute (CRC32, MD4, TIGER, SHA3…). */
class UnsupportedAlgorithm extends ManifestError {
  /** the name the line lists */
  listedName = '';
  constructor(
    file: string,
    field: string,
    readonly label: string,
  ) {
    super(file, field, `unsupported algorithm "${label}" (supported: ${Object.keys(TAG_ALGORITHMS).join(', ')})`);
  }
}

/** An SFV line (rhash --sfv, cksfv): the name, a space, the digest last. */
function parseSfvLine(file: string, lineNo: number, line: string): Parsed {
  const field = `line ${lineNo}`;
  const m = /^(.+) ([0-9a-fA-F]+)$/.exec(line);
  if (!m) throw new ManifestError(file, field, 'not an SFV line: expected "NAME HEX"');
  const [, name, hex] = m as unknown as [string, string, string];
  if (hex.length === 8) throw Object.assign(new UnsupportedAlgorithm(file, field, 'CRC32'), { listedName: name });
  const algorithm = BY_LENGTH[hex.length];
  if (!algorithm) throw new ManifestError(file, field, `digest has ${hex.length} hex digits, which matches no supported algorithm`);
  return { algorithm, hex: hex.toLowerCase(), name, kind: 'coreutils' };
}

/** SFV: named so, or opening with the `;` comment block rhash and cksfv write. */
function isSfv(file: string, lines: string[]): boolean {
  return /\.sfv$/i.test(file) || lines.find((l) => l.trim() !== '')?.startsWith(';') === true;
}

/** Every entry of a checksum file. Names are not resolved here (see resolve.ts). */
export function parseChecksumFile(file: string, text: string): Expectation[] {
  if (text.includes('\0')) throw new ManifestError(file, undefined, 'contains NUL bytes: not a text checksum list');
  const hint = algorithmHint(file);
  const out: Expectation[] = [];
  const unsupported: UnsupportedAlgorithm[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  const sfv = isSfv(file, lines);
  lines.forEach((rawLine, i) => {
    // Like coreutils: a trailing CR and leading blanks are not part of the entry.
    const line = (rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine).replace(/^[ \t]+/, '');
    if (line.trim() === '' || line.startsWith('#') || (sfv && line.startsWith(';'))) return;
    try {
      const p = sfv ? parseSfvLine(file, i + 1, line) : parseLine(file, i + 1, line, hint);
      out.push({ manifest: file, kind: p.kind, line: i + 1, listedName: p.name, digests: { [p.algorithm]: p.hex } });
    } catch (err) {
      if (!(err instanceof UnsupportedAlgorithm)) throw err;
      unsupported.push(err);
    }
  });
  if (out.length === 0 && unsupported.length > 0) {
    const labels = [...new Set(unsupported.map((u) => u.label.toUpperCase()))];
    throw new ManifestError(file, undefined, `lists only digests restorable does not compute (${labels.join(', ')}${sfv ? ', in SFV format' : ''}); write SHA-256 with sha256sum, b3sum or rhash --sha256`);
  }
  // A file listed only with such digests would go unchecked without a word: that is an error.
  const unchecked = unsupported.find((u) => !out.some((e) => e.listedName === u.listedName));
  if (unchecked) throw unchecked;
  if (out.length === 0) throw new ManifestError(file, undefined, 'lists no files');
  return out;
}

/** One `sha256sum`-compatible line (with GNU's escape for backslashes and newlines). */
export function checksumLine(hex: string, name: string): string {
  if (/[\\\n\r]/.test(name)) {
    return `\\${hex}  ${name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}\n`;
  }
  return `${hex}  ${name}\n`;
}
