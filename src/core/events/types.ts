import type { Algorithm } from '../hash/algorithms.js';
import type { Evidence } from '../locations/provider-checksum.js';
import type { CopyLock } from '../locations/object-lock.js';
import type { ManifestKind } from '../manifest/model.js';
import type { SignatureState } from '../signing/signature.js';

/**
 * The typed events every check yields. The CLI prints them as lines or one
 * JSON document; the inspector renders them. Neither knows about the other.
 */

export type Severity = 'error' | 'warning' | 'info';

/** Outcome of checking one backup. */
export type Status =
  | 'verified'
  | 'manifest_created'
  | 'size_mismatch'
  | 'hash_mismatch'
  | 'corrupt_blocks'
  | 'missing'
  | 'no_manifest'
  | 'changed'
  | 'archive_damaged'
  | 'deep_failed'
  /** a restore drill: the dump did not restore into a fresh server, or rows are missing */
  | 'drill_failed'
  /** a manifest it relies on is not validly signed by a trusted key (verify --trust): the backup was not judged by it */
  | 'tampered'
  /** the backup is 0 bytes: there is nothing to restore, whatever a manifest says */
  | 'empty'
  /** a copy that exists at the right size, whose reads did not fit in this run's egress budget (--max-egress): judged on a later run, neither pass nor failure */
  | 'deferred'
  | 'error';

/** Statuses that mean the backup itself is damaged or gone, or its manifests were forged (exit code 1). */
export const INTEGRITY_FAILURES: readonly Status[] = ['size_mismatch', 'hash_mismatch', 'corrupt_blocks', 'missing', 'archive_damaged', 'deep_failed', 'drill_failed', 'tampered', 'empty'];
/** What every check says of a 0-byte backup (status `empty`), whatever a manifest says of it. */
export function emptyFinding(where: string): Finding {
  return { severity: 'error', message: `${where}: is empty (0 bytes): there is nothing to restore` };
}

/** Statuses that mean it could not be checked (exit code 2). */
export const CHECK_FAILURES: readonly Status[] = ['no_manifest', 'changed', 'error'];

export type CheckKind = 'quick' | 'hash' | 'blocks' | 'deep' | 'restore' | 'drill' | 'locations';
export type Phase = 'hash' | 'blocks' | 'reread' | 'read';

export interface Finding {
  severity: Severity;
  message: string;
  offset?: number;
  member?: string;
}

export interface DigestComparison {
  expected: string;
  actual?: string;
  ok: boolean;
  /** manifests that state this digest */
  sources: string[];
}

export type RegionKind = 'corrupt' | 'missing' | 'extra' | 'unreadable';

/** Consecutive blocks with the same problem. `offset`/`length` are exact bytes. */
export interface Region {
  kind: RegionKind;
  firstBlock: number;
  lastBlock: number;
  offset: number;
  length: number;
  /** for corrupt blocks: the same wrong bytes on a second read (confirmed) or not (transient) */
  state?: 'confirmed' | 'transient';
  /** archive members the region falls in (an uncompressed tar), or the first ones it spoils (a compressed one) */
  members?: string[];
  /** compressed archives: how many members, from the first above, cannot be read past this damage */
  affectedMembers?: number;
  /** where decoding picks up again after it: the next restart point of the content index */
  resumesAt?: { compressed: number; uncompressed: number };
  /** what the bytes say happened to them */
  forensics?: RegionForensics;
}

/** What happened to the bytes of one damaged region, as far as they tell. */
export interface RegionForensics {
  /** one line for people: "4096 zero bytes at byte 8192, on a 4 KiB boundary: a lost write or a zeroed sector" */
  summary: string;
  kind: 'truncated' | 'appended' | 'zeros' | 'pattern' | 'text' | 'low-entropy' | 'bit-flips' | 'changed' | 'unknown';
  /** runs of zero bytes in the region (at least 512 bytes, or the whole change when a copy says what changed) */
  zeroRuns?: { offset: number; length: number; aligned?: 512 | 4096 }[];
  /** against a healthy copy: exactly what differs */
  diff?: { bytes: number; bits: number; bursts: { offset: number; length: number }[] };
  /** bits of information per byte (0-8): compressed data is near 8, text near 4-5 */
  entropy?: number;
}


export type BlockState = 'ok' | 'corrupt' | 'transient' | 'missing' | 'extra' | 'unreadable';

export interface BadBlock {
  index: number;
  offset: number;
  size: number;
  state: BlockState;
  expected: string;
  actual?: string;
}

export interface ManifestRef {
  path: string;
  kind: ManifestKind;
}

/** A manifest's minisign signature, as checked against the trusted keys (verify --trust). */
export interface SignatureCheck {
  manifest: string;
  state: SignatureState;
  /** the key that made the signature, as minisign prints it */
  keyId?: string;
}

export interface CheckResult {
  file: string;
  status: Status;
  /** bytes on disk (absent when missing) */
  size?: number;
  expectedSize?: number;
  digests?: Partial<Record<Algorithm, DigestComparison>>;
  blockSize?: number;
  regions?: Region[];
  badBlocks?: BadBlock[];
  findings: Finding[];
  manifests: ManifestRef[];
  /** verify --trust: each manifest's signature */
  signatures?: SignatureCheck[];
  checks: CheckKind[];
  /** deep check: what the archive holds and whether it reads to its end */
  archive?: ArchiveReport;
  /** deep check of a damaged archive: what can still be recovered */
  salvage?: SalvageReport;
  /** restore test: where, how long, how fast */
  restore?: RestoreReport;
  /** restore drill: the dump restored into a throwaway server, timed, its rows counted */
  drill?: DrillReport;
  /** deep check of database dumps (the backup itself, or members of a tar): rows per table, as the dump says */
  dumps?: DumpReport[];
  /** one copy of a backup in a storage location, and how it was judged */
  copy?: CopyReport;
  checkedAt: string;
  durationMs: number;
}

export type CheckEvent =
  | { type: 'start'; file: string; checks: CheckKind[] }
  | { type: 'progress'; file: string; phase: Phase; done: number; total: number; bytesPerSec: number; etaSeconds?: number; parts?: Record<string, number> }
  | { type: 'step'; file: string; id: string; title: string; state: 'running' | 'ok' | 'failed' | 'skipped'; detail?: string }
  /** a block check is starting: the shape of the map it checks against */
  | { type: 'blockmap'; file: string; totalBlocks: number; blockSize: number; fileSize: number }
  | { type: 'block'; file: string; index: number; count: number; state: BlockState }
  | { type: 'finding'; file: string; finding: Finding }
  | { type: 'result'; result: CheckResult };

export function isIntegrityFailure(status: Status): boolean {
  return INTEGRITY_FAILURES.includes(status);
}

export function isCheckFailure(status: Status): boolean {
  return CHECK_FAILURES.includes(status);
}

/** What reading an archive to its end (or as far as it goes) found. */
export interface ArchiveTotals {
  entries: number;
  /** bytes of member content */
  contentBytes: number;
  compressedBytes: number;
  uncompressedBytes: number;
  /** the archive ended cleanly: end-of-archive marker and a complete compressed stream */
  complete: boolean;
  /** bytes after the end of the compressed stream (trailing garbage) */
  trailingBytes: number;
}

export interface ArchiveReport extends ArchiveTotals {
  format: string;
  files?: number;
  directories?: number;
  links?: number;
  emptyFiles?: string[];
  noPermissionFiles?: string[];
  /** members made only of zero bytes (the classic trace of a lost write) */
  zeroFiles?: string[];
  /** what vouches for the members' bytes: a content index, or the compressed stream's own check; absent: nothing did ("read to its end") */
  vouchedBy?: 'content index' | 'gzip CRC' | 'zstd checksum' | 'xz check' | 'bzip2 CRC';
  /** members a content index found damaged, by name (the same list verify and restore-test give) */
  damagedMembers?: string[];
}

/** A dump restored into a server started for it alone: how long it took, and the rows that arrived. */
export interface DrillReport {
  engine: 'postgresql' | 'mariadb' | 'sqlite';
  /** the server's version, as it reports it */
  server: string;
  /** the program that wrote the dump, when known */
  tool?: string;
  /** the version of the program that wrote the dump, and of the server it was dumped from, as the dump says them */
  dumpedBy?: string;
  /** how it was restored (the program and its options that matter) */
  method?: string;
  /** seconds the restore itself took: the recovery time people plan with */
  restoreSeconds: number;
  /** dump bytes restored per second (uncompressed) */
  bytesPerSec: number;
  /** every step, with its seconds */
  steps: { id: string; title: string; seconds: number }[];
  /** rows per table in the restored database, with what the dump itself holds where that is known */
  tables: { table: string; rows: number; inDump?: number; lastDrill?: number }[];
  rows: number;
  /** the expectations file's probes, each with what it returned */
  probes?: { name: string; passed: boolean; value?: string; error?: string }[];
  /** the drill each table was held to, when there was one */
  lastDrill?: { file: string; at: string };
}

/** What a database dump holds, read without a server: its tool, whether it ends as that tool ends a complete dump, and rows per table. */
export interface DumpReport {
  /** the backup, or the member of the archive */
  name: string;
  /** pg_dump, pg_dumpall, mysqldump, sqlite3 .dump, pg_dump custom, sqlite3 database */
  tool?: string;
  complete: boolean;
  tables: { table: string; rows: number }[];
  rows: number;
}

export interface SalvageReport {
  message: string;
  /** where reading stopped, in the file and in the decompressed stream */
  compressedOffset: number;
  uncompressedOffset: number;
  /** the member being read when it stopped */
  member?: string;
  recoverableMembers: number;
  recoverableBytes: number;
  /** compressed bytes after the failure point, which could not be read */
  unreadBytes: number;
  /** what salvage (the machinery of `restorable salvage`) recovers past the damage, when it could run */
  past?: SalvagePast;
}

/** Members past the damage, by what salvage made of them, and where it picked up again. */
export interface SalvagePast {
  verified: number;
  recovered: number;
  damaged: number;
  lost: number;
  /** compressed bytes where decoding picked up again after damage */
  resumedAt: number[];
}

export interface RestoreReport {
  target: string;
  /** restored into --target and left there (a temp folder is always removed) */
  kept: boolean;
  seconds: number;
  bytesPerSec: number;
  restoredFiles: number;
  restoredBytes: number;
  mismatches: number;
}

/** How a copy in a storage location was judged, from the cheapest sound evidence up. */
export interface CopyReport {
  /** the location's name (--location NAME=URI) */
  location: string;
  /** the backup's name inside the location */
  backup: string;
  /** size: exists with the right size; etag / checksum-*: the store's own checksum (checksum-crc64nvme…);
      sample: blocks read by ranged requests; full: every byte read */
  evidence: 'none' | 'size' | Evidence | 'sample' | 'full';
  /** the fraction of the copy's bytes read and checked (1 for a full read) */
  coverage: number;
  bytesRead: number;
  etag?: string;
  /** where three or more copies were compared: whether this one sides with the majority */
  quorum?: 'majority' | 'minority' | 'none';
  /** its Object Lock, where the location's policy asks for one (a finding of its own, not damage) */
  lock?: CopyLock;
}
