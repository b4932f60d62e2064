import type { S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { RestorableError, throwIfAborted } from '../errors.js';
import { sleep, withRetries } from '../retry.js';
import type { Location, ObjectInfo, ReadOptions } from './location.js';
import { isNotFound, isTransient, s3Error } from './s3-errors.js';
import type { LocationSpec } from './uri.js';

type S3Spec = Extract<LocationSpec, { kind: 's3' }>;
type Sdk = typeof import('@aws-sdk/client-s3');

/** Tries per request and the first backoff; a dropped download resumes from the byte it reached. */
const TRIES = 4;
const BASE_MS = Number(process.env.RESTORABLE_RETRY_BASE_MS) || 250;

let sdk: Promise<Sdk> | undefined;
/** The SDK takes ~150 ms to load: only commands that talk to a bucket pay for it. */
function loadSdk(): Promise<Sdk> {
  // The SDK warns on stderr about Node versions it will drop next year; not our user's concern.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return (sdk ??= import('@aws-sdk/client-s3'));
}

/** An S3-compatible bucket and prefix (AWS, R2, B2, MinIO, Ceph…). */
export class S3Location implements Location {
  readonly kind = 's3';
  readonly name: string;
  private client?: Promise<{ s3: S3Client; sdk: Sdk }>;

  constructor(readonly spec: S3Spec) {
    this.name = spec.name;
  }

  get display(): string {
    return `s3://${this.spec.bucket}${this.spec.prefix ? `/${this.spec.prefix}` : ''}`;
  }

  describe(key: string): string {
    return `${this.display}/${key}`;
  }

  private objectKey(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === '.')) throw new RestorableError(`${this.name}: "${key}" is not a plain object name`);
    return this.spec.prefix ? `${this.spec.prefix}/${key}` : key;
  }

  private connect(): Promise<{ s3: S3Client; sdk: Sdk }> {
    return (this.client ??= loadSdk().then((s) => ({
      sdk: s,
      s3: new s.S3Client({
        region: this.spec.region,
        endpoint: this.spec.endpoint,
        forcePathStyle: this.spec.pathStyle,
        credentials: this.spec.credentials,
        // Retries are ours (below), so a download can resume where it stopped.
        maxAttempts: 1,
        // Many S3-compatible stores reject the newer default checksum headers.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: { connectionTimeout: 10_000, socketTimeout: 60_000 } as never,
      }),
    })));
  }

  private retrying<T>(what: string, fn: () => Promise<T>, opts: ReadOptions): Promise<T> {
    return withRetries(fn, { tries: TRIES, baseMs: BASE_MS, retryable: isTransient, signal: opts.signal }).catch((err: unknown) => {
      throw s3Error(err, what, opts.signal);
    });
  }

  async stat(key: string, opts: ReadOptions = {}): Promise<ObjectInfo | undefined> {
    const { s3, sdk } = await this.connect();
    const Key = this.objectKey(key);
    const head = (PartNumber?: number) =>
      withRetries(() => s3.send(new sdk.HeadObjectCommand({ Bucket: this.spec.bucket, Key, ChecksumMode: 'ENABLED', PartNumber }), { abortSignal: requestSignal(opts.signal) }), {
        tries: TRIES,
        baseMs: BASE_MS,
        retryable: isTransient,
        signal: opts.signal,
      });
    let h;
    try {
      h = await head();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw s3Error(err, this.describe(key), opts.signal);
    }
    const info: ObjectInfo = {
      key,
      size: h.ContentLength ?? 0,
      lastModified: h.LastModified,
      etag: h.ETag?.replace(/"/g, ''),
      checksumSha256: h.ChecksumSHA256,
      checksumType: h.ChecksumType,
    };
    const parts = /-(\d+)$/.exec(info.etag ?? '');
    if (parts) {
      // Part 1's length is the part size the multipart ETag was computed with (where the store tells it).
      const p1 = await head(1).catch(() => undefined);
      if (p1 && p1.PartsCount === Number(parts[1]) && (p1.ContentLength ?? 0) < info.size) info.partSize = p1.ContentLength;
    }
    return info;
  }

  async readRange(key: string, offset: number, length: number, opts: ReadOptions = {}): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const { s3, sdk } = await this.connect();
    const Key = this.objectKey(key);
    return this.retrying(
      `${this.describe(key)} (bytes ${offset}-${offset + length - 1})`,
      async () => {
        const res = await s3.send(new sdk.GetObjectCommand({ Bucket: this.spec.bucket, Key, Range: `bytes=${offset}-${offset + length - 1}` }), { abortSignal: requestSignal(opts.signal) });
        const bytes = Buffer.from(await res.Body!.transformToByteArray());
        opts.onBytes?.(bytes.length);
        return bytes;
      },
      opts,
    );
  }

  /**
   * Streams the object. When the connection drops, the next request asks
   * for the rest only (Range) and only of the same object (If-Match), with
   * backoff; after the last try it fails naming the byte it reached.
   */
  async *read(key: string, opts: ReadOptions = {}): AsyncIterable<Buffer> {
    const { s3, sdk } = await this.connect();
    const Key = this.objectKey(key);
    let offset = 0;
    let etag: string | undefined;
    let size: number | undefined;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(opts.signal);
      try {
        const res = await s3.send(
          new sdk.GetObjectCommand({ Bucket: this.spec.bucket, Key, Range: offset > 0 ? `bytes=${offset}-` : undefined, IfMatch: offset > 0 ? etag : undefined }),
          { abortSignal: requestSignal(opts.signal) },
        );
        etag ??= res.ETag;
        size ??= res.ContentLength;
        for await (const chunk of res.Body as AsyncIterable<Buffer>) {
          offset += chunk.length;
          opts.onBytes?.(chunk.length);
          yield chunk;
        }
        if (size !== undefined && offset < size) throw Object.assign(new Error('the connection closed before the end of the object'), { code: 'ECONNRESET' });
        return;
      } catch (err) {
        if (opts.signal?.aborted) throw s3Error(err, this.describe(key), opts.signal);
        if (attempt >= TRIES || !isTransient(err)) {
          const where = size !== undefined ? ` after ${offset} of ${size} bytes` : '';
          throw new RestorableError(`${this.describe(key)}: download failed${where} (${attempt} ${attempt === 1 ? 'try' : 'tries'}): ${s3Error(err, '').message.replace(/^: /, '')}`);
        }
        await sleep(BASE_MS * 2 ** (attempt - 1), opts.signal);
      }
    }
  }

  async *list(opts: ReadOptions & { startsWith?: string } = {}): AsyncIterable<ObjectInfo> {
    const { s3, sdk } = await this.connect();
    const base = this.spec.prefix ? `${this.spec.prefix}/` : '';
    const Prefix = `${base}${opts.startsWith ?? ''}` || undefined;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.retrying(this.display, () => s3.send(new sdk.ListObjectsV2Command({ Bucket: this.spec.bucket, Prefix, ContinuationToken }), { abortSignal: requestSignal(opts.signal) }), opts);
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        yield { key: o.Key.slice(base.length), size: o.Size ?? 0, lastModified: o.LastModified, etag: o.ETag?.replace(/"/g, '') };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** Multipart upload from the local file (8 MiB parts), so any size goes up. */
  async upload(key: string, source: string, opts: ReadOptions = {}): Promise<void> {
    const { s3 } = await this.connect();
    const { Upload } = await import('@aws-sdk/lib-storage');
    const size = (await stat(source)).size;
    const upload = new Upload({
      client: s3,
      params: { Bucket: this.spec.bucket, Key: this.objectKey(key), Body: createReadStream(source), ContentLength: size },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } catch (err) {
      throw s3Error(err, this.describe(key), opts.signal);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    void this.client?.then(({ s3 }) => s3.destroy());
  }
}

/**
 * A signal of its own per request, following the command's: the SDK leaves
 * a listener on the signal it is given, and a run of many requests would
 * pile them onto the one the whole command shares.
 */
function requestSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  return signal && AbortSignal.any([signal]);
}
