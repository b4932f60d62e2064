import { readFile } from 'node:fs/promises';
import { ManifestError, fsError, isFsError } from '../errors.js';

/** Keys that could reach an object prototype if a careless reader copied them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Position in `text` as "line L, column C" for parse errors. */
function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/**
 * JSON.parse with errors that name the file and place, and that refuses
 * prototype-polluting keys anywhere in the document.
 */
export function parseJsonFile(file: string, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    if (err instanceof RangeError) throw new ManifestError(file, undefined, 'nested too deeply to be a manifest');
    const message = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(message);
    const where = at ? ` at ${lineColumn(text, Number(at[1]))}` : /end of JSON/.test(message) ? ` at line ${text.split('\n').length} (it ends too early)` : '';
    throw new ManifestError(file, undefined, `not valid JSON${where} (${message.replace(/ in JSON at position \d+.*$/, '')})`);
  }
  const forbidden = findForbiddenKey(value, '');
  if (forbidden) throw new ManifestError(file, forbidden, 'forbidden key (could alter object prototypes)');
  return value;
}

/** Depth-first walk with an explicit stack: a hostile, deeply nested document cannot overflow the call stack. */
function findForbiddenKey(root: unknown, rootPath: string): string | undefined {
  const stack: [unknown, string][] = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const v: unknown = value[i];
        if (v !== null && typeof v === 'object') stack.push([v, `${path}[${i}]`]);
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      const here = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return here;
      const v = (value as Record<string, unknown>)[key];
      if (v !== null && typeof v === 'object') stack.push([v, here]);
    }
  }
  return undefined;
}

/** zod issue path → "blocks[3].offset" */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(document)';
}

/** A state or results file's text, or undefined when there is none yet; any other failure names the file. */
export async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return undefined;
    throw fsError(err, file);
  }
}
