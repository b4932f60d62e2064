import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ManifestError, fsError } from './errors.js';
import { fieldPath } from './manifest/safe-json.js';

/**
 * A file a user writes for us (scan config, drill expectations), JSON when
 * it is named .json and YAML otherwise, checked against its schema: every
 * problem is one message naming the file and the field.
 */
export async function readConfigFile<S extends z.ZodTypeAny>(path: string, schema: S): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw fsError(err, path);
  }
  const json = /\.json$/i.test(path);
  let value: unknown;
  try {
    value = json ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 50 });
  } catch (err) {
    throw new ManifestError(path, undefined, `not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ManifestError(path, fieldPath(issue.path), issue.message);
  }
  return parsed.data;
}
