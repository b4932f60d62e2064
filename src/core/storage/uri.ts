import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Location URIs (DESIGN section 7):
 *   /backups  or  file:///backups                        a local folder
 *   s3://bucket/prefix?endpoint=URL&region=R&path_style=true
 *   r2://bucket/prefix?account=ID                        Cloudflare R2
 *   b2://bucket/prefix?region=us-west-004                Backblaze B2 (S3 API)
 * Keys come from RESTORABLE_<NAME>_ACCESS_KEY_ID / _SECRET_ACCESS_KEY (NAME
 * upper-cased), then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the config
 * file. They never appear in anything printed.
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type LocationSpec =
  | { name: string; kind: 'local'; root: string }
  | {
      name: string;
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      pathStyle: boolean;
      credentials?: Credentials;
    };

/** Extra settings a config file may give a location (keys included). */
export interface LocationSettings {
  endpoint?: string;
  region?: string;
  path_style?: boolean;
  account?: string;
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** "NAME=URI" from --location. */
export function parseLocationArg(text: string, env: NodeJS.ProcessEnv = process.env): LocationSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--location ${text}: expected NAME=URI, e.g. offsite=s3://bucket/backups`);
  return parseLocationUri(text.slice(0, eq), text.slice(eq + 1), {}, env);
}

export function parseLocationUri(name: string, uri: string, settings: LocationSettings = {}, env: NodeJS.ProcessEnv = process.env): LocationSpec {
  if (!NAME.test(name)) throw new UsageError(`location name "${name}": use letters, digits, '.', '_' or '-' (at most 64)`);
  const where = `location ${name}`;
  // Keys written into something URI-like are refused before anything else, and never echoed (even "s3:/K:S@b").
  if (/^[a-z][a-z0-9+.-]*:[^@\s]*:[^@\s]*@/i.test(uri)) throw new UsageError(`${where}: put keys in the environment or the config file, not in the URI (it is not shown here)`);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    if (!uri) throw new UsageError(`${where}: no folder or URI given`);
    return { name, kind: 'local', root: resolve(uri) };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new UsageError(`${where}: "${redactUri(uri)}" is not a valid URI`);
  }
  if (url.username || url.password) throw new UsageError(`${where}: put keys in the environment or the config file, not in the URI`);
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'file') {
    const root = decodeURIComponent(url.pathname);
    if (!isAbsolute(root)) throw new UsageError(`${where}: file:// needs an absolute path`);
    return { name, kind: 'local', root };
  }
  if (!['s3', 'r2', 'b2'].includes(scheme)) throw new UsageError(`${where}: unknown scheme "${scheme}://" (use a folder, s3://, r2:// or b2://)`);
  const bucket = url.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UsageError(`${where}: "${bucket}" is not a valid bucket name`);
  const q = url.searchParams;
  const known = new Set(['endpoint', 'region', 'path_style', 'account']);
  for (const key of q.keys()) if (!known.has(key)) throw new UsageError(`${where}: unknown parameter "${key}" (known: ${[...known].join(', ')})`);
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  let endpoint = q.get('endpoint') ?? settings.endpoint;
  let region = q.get('region') ?? settings.region;
  const pathStyleText = q.get('path_style');
  let pathStyle = pathStyleText === null ? (settings.path_style ?? false) : pathStyleText === 'true' || pathStyleText === '1';
  if (scheme === 'r2') {
    // R2: one endpoint per account, region "auto".
    const account = q.get('account') ?? settings.account ?? env.R2_ACCOUNT_ID ?? env.CLOUDFLARE_ACCOUNT_ID;
    if (!endpoint && !account) throw new UsageError(`${where}: r2:// needs the account id (?account=ID, or R2_ACCOUNT_ID)`);
    endpoint ??= `https://${account}.r2.cloudflarestorage.com`;
    region ??= 'auto';
  } else if (scheme === 'b2') {
    // B2's S3 API: the endpoint is named after the bucket's region.
    region ??= env.B2_REGION;
    if (!endpoint && !region) throw new UsageError(`${where}: b2:// needs the bucket's region (?region=us-west-004, or B2_REGION)`);
    endpoint ??= `https://s3.${region}.backblazeb2.com`;
  }
  region ??= env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (endpoint) {
    try {
      const e = new URL(endpoint);
      if (e.protocol !== 'http:' && e.protocol !== 'https:') throw new Error('scheme');
      if (e.username || e.password) throw new UsageError(`${where}: the endpoint must not hold keys`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${where}: endpoint "${endpoint}" is not an http(s) URL`);
    }
    // A bare IP or localhost has no virtual-host names: path style is the only way.
    if (/^(https?:\/\/)(localhost|\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\])(:\d+)?/i.test(endpoint) && pathStyleText === null) pathStyle = true;
  }
  return { name, kind: 's3', bucket, prefix, endpoint, region, pathStyle, credentials: credentialsFor(name, settings, env) };
}

function credentialsFor(name: string, settings: LocationSettings, env: NodeJS.ProcessEnv): Credentials | undefined {
  const own = `RESTORABLE_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
  const accessKeyId = env[`${own}ACCESS_KEY_ID`] ?? settings.access_key_id ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env[`${own}SECRET_ACCESS_KEY`] ?? settings.secret_access_key ?? env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined; // the SDK's own chain (profiles, instance roles) then applies
  return { accessKeyId, secretAccessKey, sessionToken: env[`${own}SESSION_TOKEN`] ?? settings.session_token ?? env.AWS_SESSION_TOKEN };
}

/** The URI as it may be printed: no user, no password, no query secrets. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/[^/@]*@/, '//').replace(/([?&](?:[a-z_]*(?:secret|key|token|password|signature)[a-z_]*)=)[^&]*/gi, '$1…');
}
