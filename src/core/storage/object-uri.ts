import { posix } from 'node:path';
import { UsageError } from '../errors.js';
import type { Location } from './location.js';
import { parseLocationUri, redactUri, type LocationSpec } from './uri.js';

/**
 * One object named by a URI, as commands take files:
 * `s3://bucket/nightly/db.tar.gz?endpoint=…` is the key `db.tar.gz` in the
 * location `s3://bucket/nightly`. Keys come from the environment as for
 * any location (AWS_ACCESS_KEY_ID…, or RESTORABLE_REMOTE_ACCESS_KEY_ID…).
 */

const OBJECT = /^(s3|r2|b2):\/\//i;

export function isObjectUri(text: string): boolean {
  return OBJECT.test(text);
}

export function parseObjectUri(uri: string, env: NodeJS.ProcessEnv = process.env): { spec: LocationSpec; key: string } {
  const spec = parseLocationUri('remote', uri, {}, env);
  if (spec.kind !== 's3' || !spec.prefix) throw new UsageError(`${redactUri(uri)}: names a bucket, not an object`);
  const key = posix.basename(spec.prefix);
  return { spec: { ...spec, prefix: posix.dirname(spec.prefix) === '.' ? '' : posix.dirname(spec.prefix) }, key };
}

const open = new Map<string, Promise<Location>>();

/** The location holding an object URI's object, one client per bucket and prefix. */
export async function objectLocation(uri: string): Promise<{ location: Location; key: string }> {
  const { spec, key } = parseObjectUri(uri);
  const id = JSON.stringify({ ...spec, credentials: undefined });
  let location = open.get(id);
  if (!location) {
    const { openLocation } = await import('./open-location.js');
    open.set(id, (location = openLocation(spec)));
  }
  return { location: await location, key };
}

/** Closes the clients objectLocation opened (at the end of a command). */
export async function closeObjectLocations(): Promise<void> {
  for (const l of open.values()) (await l).close();
  open.clear();
}
