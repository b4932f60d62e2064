import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** s3rver accepts any keys that match its defaults. */
export const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

/**
 * What every loopback S3 implementation in the tests offers: a URI as a user
 * would write it, a client, buckets and uploads (single, multipart, and with
 * a full-object SHA-256 checksum where the server keeps one).
 */
export abstract class LoopbackS3 {
  readonly directory = mkdtempSync(join(tmpdir(), 'restorable-s3-'));
  port = 0;
  protected child?: ChildProcess;
  private client?: S3Client;
  abstract readonly name: string;
  abstract start(): Promise<void>;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** s3://bucket/prefix?endpoint=… as a user would write it. */
  uri(bucket: string, prefix = ''): string {
    return `s3://${bucket}${prefix ? `/${prefix}` : ''}?endpoint=${encodeURIComponent(this.endpoint)}`;
  }

  s3(): S3Client {
    return (this.client ??= new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }));
  }

  /** `objectLock`: a bucket whose objects can be put under S3 Object Lock. */
  async bucket(name: string, opts: { objectLock?: boolean } = {}): Promise<void> {
    await this.s3().send(new CreateBucketCommand({ Bucket: name, ...(opts.objectLock ? { ObjectLockEnabledForBucket: true } : {}) }));
  }

  /** One PutObject; with `checksum`, the SDK computes that checksum of the body and sends it for the server to keep. */
  async put(
    bucket: string,
    key: string,
    body: Buffer,
    opts: { checksum?: 'SHA256' | 'CRC64NVME' | 'CRC32C'; lock?: { mode: 'COMPLIANCE' | 'GOVERNANCE'; until: Date }; legalHold?: boolean } = {},
  ): Promise<void> {
    // A locked upload must carry a checksum (S3 and moto refuse it otherwise).
    const checksum = opts.checksum ?? (opts.lock || opts.legalHold ? 'CRC32C' : undefined);
    await this.s3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ...(checksum ? { ChecksumAlgorithm: checksum } : {}),
        ...(opts.lock ? { ObjectLockMode: opts.lock.mode, ObjectLockRetainUntilDate: opts.lock.until } : {}),
        ...(opts.legalHold ? { ObjectLockLegalHoldStatus: 'ON' as const } : {}),
      }),
    );
  }

  /** A multipart upload in parts of `partSize` (at least 5 MiB, as S3 requires). */
  async putMultipart(bucket: string, key: string, body: Buffer, partSize = 5 * 1024 * 1024): Promise<void> {
    await new Upload({ client: this.s3(), params: { Bucket: bucket, Key: key, Body: body }, partSize, queueSize: 1 }).done();
  }

  /** Runs the server program and waits for the line that names its port. */
  protected async spawnServer(command: string, args: string[], portLine: RegExp, stream: 'stdout' | 'stderr'): Promise<void> {
    const child = spawn(command, args, { stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'inherit'] });
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child[stream]!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = portLine.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code}: ${out.trim()}`)));
    });
  }

  /** Stops the server at once (SIGKILL): open connections drop mid-transfer. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.client?.destroy();
    this.client = undefined;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/**
 * s3rver (Node) in a process of its own: objects are files on disk, so a
 * test can rot their bytes behind the stored ETag, and stop and restart it
 * on the same port.
 */
export class S3TestServer extends LoopbackS3 {
  readonly name = 's3rver';

  async start(): Promise<void> {
    const script = fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url));
    await this.spawnServer(process.execPath, [script, this.directory, String(this.port)], /port (\d+)/, 'stdout');
  }

  /** Where s3rver keeps an object's bytes. */
  objectFile(bucket: string, key: string): string {
    return join(this.directory, bucket, `${key}._S3rver_object`);
  }

  /** Bit rot on the provider's disk: the bytes change, the stored ETag does not. */
  rot(bucket: string, key: string, offset: number, length: number): void {
    const file = this.objectFile(bucket, key);
    const bytes = readFileSync(file);
    for (let i = offset; i < offset + length && i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(file, bytes);
  }
}

/**
 * moto's S3 server (Python), a second implementation with its own reading of
 * the protocol: it keeps full-object SHA-256 checksums, which s3rver ignores.
 * Its objects live in memory, so it cannot rot bytes behind an ETag.
 */
export class MotoServer extends LoopbackS3 {
  readonly name = 'moto';

  async start(): Promise<void> {
    await this.spawnServer('moto_server', ['-H', '127.0.0.1', '-p', '0'], /Running on http:\/\/127\.0\.0\.1:(\d+)/, 'stderr');
  }
}
