import type { S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AbortError, RestorableError, onAbort, throwIfAborted } from '../errors.js';
import { sleep, withRetries, type RetryOptions } from '../retry.js';
import type { Location, ObjectInfo, ReadOptions, StoredChecksum } from './location.js';
import { Limiter } from './limiter.js';
import { checksumHex, isChecksumHex } from './stored-checksum.js';
import { describeS3Error, isNotFound, isTransient, retryWaitMs, s3Error } from './s3-errors.js';
import type { LocationSpec } from './uri.js';

type S3Spec = Extract<LocationSpec, { kind: 's3' }>;
type Sdk = typeof import('@aws-sdk/client-s3');

/** Tries per request and the first backoff; a dropped download resumes from the byte it reached. */
const TRIES = 4;
const BASE_MS = Number(process.env.RESTORABLE_RETRY_BASE_MS) || 250;
/** Requests in flight to one bucket location at once (HEADs, ranged reads). */
const REQUESTS_PER_LOCATION = 16;

/** Every request's retries: transient failures only, with backoff, as long as the server asks (Retry-After). */
function retryOptions(signal: AbortSignal | undefined): RetryOptions {
  return { tries: TRIES, baseMs: BASE_MS, retryable: isTransient, waitMs: retryWaitMs, signal };
}

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
  /** The ETag and size of each object as first seen: every read after that asks for those bytes only (If-Match). */
  private readonly seen = new Map<string, { etag?: string; size: number }>();
  /** HEADs and ranged reads in flight at once, however many backups are checked together */
  private readonly requests = new Limiter(REQUESTS_PER_LOCATION);

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
    return withRetries(fn, retryOptions(opts.signal)).catch((err: unknown) => {
      throw s3Error(err, what, opts.signal);
    });
  }

  /** The object as first seen by this run (a HEAD if it was not stat'ed or listed yet). */
  private async identity(key: string, opts: ReadOptions): Promise<{ etag?: string; size: number }> {
    const known = this.seen.get(key);
    if (known) return known;
    const info = await this.stat(key, opts);
    if (!info) throw new RestorableError(`${this.describe(key)}: no such object`);
    return this.seen.get(key) ?? { etag: info.etag, size: info.size };
  }

  async stat(key: string, opts: ReadOptions = {}): Promise<ObjectInfo | undefined> {
    const { s3, sdk } = await this.connect();
    const Key = this.objectKey(key);
    const head = (PartNumber?: number) =>
      withRetries(() => this.requests.run(() => s3.send(new sdk.HeadObjectCommand({ Bucket: this.spec.bucket, Key, ChecksumMode: 'ENABLED', PartNumber }), { abortSignal: requestSignal(opts.signal) })), retryOptions(opts.signal));
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
      checksums: storedChecksums(h),
      checksumType: h.ChecksumType,
      ...(h.ObjectLockMode || h.ObjectLockRetainUntilDate || h.ObjectLockLegalHoldStatus
        ? { lock: { mode: h.ObjectLockMode, retainUntil: h.ObjectLockRetainUntilDate, legalHold: h.ObjectLockLegalHoldStatus === 'ON' } }
        : {}),
    };
    if (!this.seen.has(key)) this.seen.set(key, { etag: h.ETag, size: info.size });
    const parts = /-(\d+)$/.exec(info.etag ?? '');
    // A full-object checksum judges a multipart copy whole: no second request for its part size.
    if (parts && Object.keys(info.checksums ?? {}).length === 0) {
      // Part 1's length is the part size the multipart ETag was computed with (where the store tells it).
      const p1 = await head(1).catch(() => undefined);
      if (p1 && p1.PartsCount === Number(parts[1]) && (p1.ContentLength ?? 0) < info.size) info.partSize = p1.ContentLength;
    }
    return info;
  }

  /**
   * Exactly the bytes asked for (fewer only at the end of the object), of
   * the object as first seen (If-Match): a short or empty body, a reset
   * connection or a throttling store is retried with backoff; after the last
   * try the error names the object and the byte. A replaced object is an
   * error (it changed while it was read), never another object's bytes.
   */
  async readRange(key: string, offset: number, length: number, opts: ReadOptions = {}): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const { s3, sdk } = await this.connect();
    const Key = this.objectKey(key);
    const { etag, size } = await this.identity(key, opts);
    const want = Math.max(0, Math.min(length, size - offset));
    if (want === 0) return Buffer.alloc(0);
    const range = `bytes ${offset}-${offset + want - 1}`;
    let got = 0;
    let tries = 0;
    try {
      return await withRetries(
        async () => {
          tries++;
          got = 0;
          const chunks: Buffer[] = [];
          await this.requests.run(async () => {
            const res = await s3.send(new sdk.GetObjectCommand({ Bucket: this.spec.bucket, Key, Range: `bytes=${offset}-${offset + want - 1}`, IfMatch: etag }), { abortSignal: requestSignal(opts.signal) });
            for await (const chunk of res.Body as AsyncIterable<Buffer>) {
              chunks.push(chunk);
              got += chunk.length;
            }
          });
          if (got !== want) throw shortBody(got, want);
          opts.onBytes?.(got);
          return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, got);
        },
        retryOptions(opts.signal),
      );
    } catch (err) {
      if (opts.signal?.aborted) throw new AbortError();
      if (isReplaced(err)) throw replaced(this.describe(key), etag);
      throw new RestorableError(`${this.describe(key)} (${range}): download failed at byte ${offset + got} of ${size} (${tries} ${tries === 1 ? 'try' : 'tries'}): ${describeS3Error(err)}`);
    }
  }

  /**
   * Streams the object. When the connection drops or a body ends early, the
   * next request asks for the rest only (Range) and only of the same object
   * (If-Match), with backoff; after the last try it fails naming the byte it
   * reached. The object's size as first seen decides where it ends.
   */
  async *read(key: string, opts: ReadOptions = {}): AsyncIterable<Buffer> {
    const { s3, sdk } = await this.connect();
    const Key = this.objectKey(key);
    const { etag, size } = await this.identity(key, opts);
    let offset = 0;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(opts.signal);
      try {
        if (offset >= size) return;
        const res = await s3.send(
          new sdk.GetObjectCommand({ Bucket: this.spec.bucket, Key, Range: offset > 0 ? `bytes=${offset}-` : undefined, IfMatch: etag }),
          { abortSignal: requestSignal(opts.signal) },
        );
        for await (const chunk of res.Body as AsyncIterable<Buffer>) {
          // never more than the object as first seen holds
          const part = chunk.length > size - offset ? chunk.subarray(0, size - offset) : chunk;
          if (part.length === 0) break;
          offset += part.length;
          opts.onBytes?.(part.length);
          yield part;
        }
        if (offset < size) throw shortBody(offset, size);
        return;
      } catch (err) {
        if (opts.signal?.aborted) throw s3Error(err, this.describe(key), opts.signal);
        if (isReplaced(err)) throw replaced(this.describe(key), etag);
        if (attempt >= TRIES || !isTransient(err)) {
          throw new RestorableError(`${this.describe(key)}: download failed after ${offset} of ${size} bytes (${attempt} ${attempt === 1 ? 'try' : 'tries'}): ${describeS3Error(err)}`);
        }
        await sleep(retryWaitMs(err, BASE_MS * 2 ** (attempt - 1)), opts.signal);
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
        const key = o.Key.slice(base.length);
        if (!this.seen.has(key)) this.seen.set(key, { etag: o.ETag, size: o.Size ?? 0 });
        yield { key, size: o.Size ?? 0, lastModified: o.LastModified, etag: o.ETag?.replace(/"/g, '') };
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
    const removeListener = onAbort(opts.signal, () => void upload.abort());
    try {
      await upload.done();
    } catch (err) {
      throw s3Error(err, this.describe(key), opts.signal);
    } finally {
      removeListener();
    }
  }

  close(): void {
    void this.client?.then(({ s3 }) => s3.destroy());
  }
}

/**
 * The full-object checksums a HEAD with ChecksumMode ENABLED returned, in
 * hex. A composite one ("…-N", of the parts' checksums) is not the
 * object's and is left out. B2 keeps a large file's SHA-1 as
 * large_file_sha1 when its uploader set it.
 */
export function storedChecksums(h: import('@aws-sdk/client-s3').HeadObjectCommandOutput): Partial<Record<StoredChecksum, string>> {
  const out: Partial<Record<StoredChecksum, string>> = {};
  if (h.ChecksumType === 'COMPOSITE') return out;
  const given: [StoredChecksum, string | undefined][] = [
    ['crc64nvme', h.ChecksumCRC64NVME],
    ['crc32c', h.ChecksumCRC32C],
    ['crc32', h.ChecksumCRC32],
    ['sha1', h.ChecksumSHA1],
    ['sha256', h.ChecksumSHA256],
  ];
  for (const [algorithm, b64] of given) {
    const hex = checksumHex(algorithm, b64);
    if (hex) out[algorithm] = hex;
  }
  const b2 = h.Metadata?.large_file_sha1?.toLowerCase();
  if (!out.sha1 && b2 && isChecksumHex('sha1', b2)) out.sha1 = b2;
  return out;
}

/**
 * A signal of its own per request, following the command's: the SDK leaves
 * a listener on the signal it is given, and a run of many requests would
 * pile them onto the one the whole command shares.
 */
function requestSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  return signal && AbortSignal.any([signal]);
}

/** A body that ended before the bytes it was to carry: a transport fault, retried like a reset connection. */
function shortBody(got: number, want: number): Error {
  // $retryable: what the SDK marks a failure worth another try with (isTransient reads it)
  return Object.assign(new Error(`the body ended after ${got} of ${want} bytes`), { name: 'ShortBody', $retryable: {} });
}

function isReplaced(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.$metadata?.httpStatusCode === 412 || e?.name === 'PreconditionFailed' || e?.Code === 'PreconditionFailed';
}

function replaced(where: string, etag: string | undefined): RestorableError {
  return new RestorableError(`${where}: changed while it was read (replaced: its ETag is no longer ${etag ?? 'the one first seen'}); check it again`);
}
