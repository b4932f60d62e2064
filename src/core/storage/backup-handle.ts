import type { FileIdentity } from '../hash/file-identity.js';

/**
 * What the archive readers need of an open backup: positional reads, its
 * identity, closing. A local file's FileHandle is one; so is an object in a
 * bucket (remote-handle.ts), which is how deep checks and test restores read
 * objects the same way as files.
 */
export interface BackupHandle {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<FileIdentity>;
  close(): Promise<void>;
  /** what the name refers to now (a fresh HEAD for an object); files are looked up by path instead */
  currentIdentity?(): Promise<FileIdentity | undefined>;
}
