import { AbortError, RestorableError } from '../errors.js';

/**
 * One line from an S3 SDK or network failure: what went wrong, in words an
 * operator acts on, never with keys or signed URLs in it.
 */
export function describeS3Error(err: unknown): string {
  const e = err as { name?: string; code?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const code = e.Code ?? e.name ?? e.code ?? '';
  const net = e.code ?? e.cause?.code ?? '';
  const status = e.$metadata?.httpStatusCode;
  const known: Record<string, string> = {
    NoSuchBucket: 'the bucket does not exist',
    NoSuchKey: 'no such object',
    NotFound: 'no such object',
    AccessDenied: 'access denied (check the keys and the bucket policy)',
    Forbidden: 'access denied (check the keys and the bucket policy)',
    InvalidAccessKeyId: 'the access key id is not known to the server',
    SignatureDoesNotMatch: 'the secret access key is wrong (signature does not match)',
    PreconditionFailed: 'the object changed while it was read',
    InvalidRange: 'the requested byte range is past the end of the object',
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the server',
    ETIMEDOUT: 'connection timed out',
    ENOTFOUND: 'the endpoint\'s host name does not resolve',
    EPIPE: 'connection closed by the server',
    TimeoutError: 'timed out',
    CredentialsProviderError: 'no keys: set RESTORABLE_<NAME>_ACCESS_KEY_ID and _SECRET_ACCESS_KEY, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the config file',
  };
  const words = known[code] ?? known[net];
  if (words) return words;
  if (status === 403) return known.AccessDenied!;
  if (status === 404) return known.NotFound!;
  const message = (e.message ?? String(err)).split('\n')[0]!.replace(/X-Amz-[A-Za-z-]+=[^&\s]+/g, '…');
  return status ? `HTTP ${status}: ${message}` : message;
}

export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** Failures worth another try: the network, throttling, a server's 5xx. */
export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (e.$retryable) return true;
  const net = e.code ?? e.cause?.code ?? e.name ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'TimeoutError', 'RequestTimeout', 'AbortError', 'ERR_STREAM_PREMATURE_CLOSE'].includes(net) || /socket hang up|aborted|premature close|terminated/i.test(e.name === 'AbortError' ? '' : String((err as Error)?.message ?? ''));
}

/** Wraps a failure with the copy it concerns; an abort stays an abort. */
export function s3Error(err: unknown, where: string, signal?: AbortSignal): RestorableError {
  if (signal?.aborted) return new AbortError();
  if (err instanceof RestorableError) return err;
  return new RestorableError(`${where}: ${describeS3Error(err)}`);
}

/** The longest a server may make us wait before a retry (Retry-After). */
const MAX_RETRY_AFTER_MS = 60_000;

/** Throttling: the store asks for fewer requests (S3's SlowDown, 429, 503). */
export function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  return ['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequests', 'TooManyRequestsException', 'ServiceUnavailable'].includes(code) || status === 429 || status === 503;
}

/**
 * How long to wait before the next try: what the server's Retry-After says
 * (seconds or an HTTP date; capped at a minute), at least the backoff, and
 * longer when the store is throttling us.
 */
export function retryWaitMs(err: unknown, backoffMs: number): number {
  const headers = (err as { $response?: { headers?: Record<string, string> } })?.$response?.headers ?? {};
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  let asked: number | undefined;
  if (value !== undefined) {
    const seconds = Number(value);
    asked = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
    if (!Number.isFinite(asked)) asked = undefined;
  }
  const floor = isThrottling(err) ? backoffMs * 4 : backoffMs;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(floor, asked ?? 0));
}
