import { basename } from 'node:path';
import { ManifestError } from '../errors.js';
import { HEX_LENGTH, type Algorithm } from '../hash/algorithms.js';
import type { Expectation, ManifestKind } from './model.js';

/**
 * Reads checksum lists: GNU coreutils (`HEX  NAME`, `HEX *NAME`, with the
 * leading-backslash escape for odd names), BSD tag lines
 * (`SHA256 (NAME) = HEX`) and b3sum output. Every line is checked strictly:
 * a line we cannot read is an error naming the file and line, never skipped.
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

  const tag = /^([A-Za-z0-9-]+) ?\((.*)\) ?= ?([0-9a-fA-F]*)$/.exec(line);
  if (tag) {
    const [, label, name, hex] = tag as unknown as [string, string, string, string];
    const algorithm = TAG_ALGORITHMS[label.toUpperCase()];
    if (!algorithm) throw new ManifestError(file, field, `unsupported algorithm "${label}" (supported: ${Object.keys(TAG_ALGORITHMS).join(', ')})`);
    checkHex(file, field, hex, algorithm);
    return { algorithm, hex: hex.toLowerCase(), name: escaped ? unescapeName(name) : name, kind: 'bsd-tag' };
  }

  const gnu = /^([0-9a-fA-F]+) ([ *])(.*)$/.exec(line) ?? /^([0-9a-fA-F]+) ()([^ *].*)$/.exec(line);
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

/** Every entry of a checksum file. Names are not resolved here (see resolve.ts). */
export function parseChecksumFile(file: string, text: string): Expectation[] {
  if (text.includes('\0')) throw new ManifestError(file, undefined, 'contains NUL bytes: not a text checksum list');
  const hint = algorithmHint(file);
  const out: Expectation[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  lines.forEach((rawLine, i) => {
    // Like coreutils: a trailing CR and leading blanks are not part of the entry.
    const line = (rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine).replace(/^[ \t]+/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const p = parseLine(file, i + 1, line, hint);
    out.push({ manifest: file, kind: p.kind, line: i + 1, listedName: p.name, digests: { [p.algorithm]: p.hex } });
  });
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
