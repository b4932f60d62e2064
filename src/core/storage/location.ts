/**
 * A storage location holds copies of backups: a local folder or an
 * S3-compatible bucket and prefix. Every check that reads a copy goes through
 * this interface, so a local file and an object are read the same way.
 */

/** What a location knows about one stored copy without reading it. */
export interface ObjectInfo {
  /** path relative to the location (forward slashes) */
  key: string;
  size: number;
  lastModified?: Date;
  /** S3 ETag without quotes: the MD5 of a single-part upload, or MD5-of-part-MD5s + "-N" */
  etag?: string;
  /** the full-object checksums the store keeps, in hex (a composite one, of the parts' checksums, is left out) */
  checksums?: Partial<Record<StoredChecksum, string>>;
  /** FULL_OBJECT or COMPOSITE, as the store says */
  checksumType?: string;
  /** the size of part 1 of a multipart upload, when the provider tells it */
  partSize?: number;
  /** S3 Object Lock, as the HEAD told it (absent where the bucket has none, or the caller may not read it) */
  lock?: { mode?: string; retainUntil?: Date; legalHold?: boolean };
}

/** The checksums a store may keep per object: x-amz-checksum-*, and B2's large_file_sha1. */
export type StoredChecksum = 'crc64nvme' | 'crc32c' | 'crc32' | 'sha1' | 'sha256';

export interface ReadOptions {
  signal?: AbortSignal;
  /** called with each chunk's length as it arrives */
  onBytes?: (n: number) => void;
}

export type LocationKind = 'local' | 's3';

export interface Location {
  readonly name: string;
  readonly kind: LocationKind;
  /** where it is, with no secret in it: "/backups" or "s3://bucket/prefix" */
  readonly display: string;
  /** "s3://bucket/prefix/KEY" or "/backups/KEY": names one copy in messages */
  describe(key: string): string;
  /** undefined when the copy does not exist */
  stat(key: string, opts?: ReadOptions): Promise<ObjectInfo | undefined>;
  /** exactly `length` bytes from `offset` (fewer only at the end of the copy) */
  readRange(key: string, offset: number, length: number, opts?: ReadOptions): Promise<Buffer>;
  /** the whole copy as a stream of chunks; resumes where it stopped after a dropped connection */
  read(key: string, opts?: ReadOptions): AsyncIterable<Buffer>;
  /** every copy under the location (recursively), or only keys starting with `startsWith` */
  list(opts?: ReadOptions & { startsWith?: string }): AsyncIterable<ObjectInfo>;
  /** replaces the copy at `key` with the local file `source` */
  upload(key: string, source: string, opts?: ReadOptions): Promise<void>;
  close(): void;
}
