import { createHash } from 'node:crypto';
import { PieceDigests } from '../hash/piece-digests.js';
import type { Algorithm } from '../hash/algorithms.js';
import { createHasher, type Hasher } from '../hash/hasher.js';

/**
 * The digest tree of one copy, made in one pass where the copy lies: a
 * sha256 of every leaf (a fixed-size range), and the whole-file digests a
 * manifest may state. Any range of leaves then has a digest (the sha256 of
 * its leaves' digests) answered from memory, so two copies far apart can
 * narrow a difference down by exchanging digests, not bytes.
 */

const MiB = 1024 * 1024;
/** Leaves kept per copy at most: 256 Ki digests of 32 bytes, 8 MiB of memory, for any size. */
const MAX_LEAVES = 256 * 1024;

/** 64 KiB for copies up to 16 GiB; a power of two above that, so the tree never outgrows MAX_LEAVES. */
export function leafSizeFor(size: number): number {
  let leaf = 64 * 1024;
  while (Math.ceil(size / leaf) > MAX_LEAVES) leaf *= 2;
  return leaf;
}

export interface ScanSummary {
  size: number;
  leafSize: number;
  leaves: number;
  /** whole-file digests, sha256 always */
  digests: Partial<Record<Algorithm, string>>;
}

export class LeafDigests {
  private store: Buffer;
  private readonly leaves: PieceDigests;
  private bytes = 0;
  private hashers: [Algorithm, Hasher][] = [];

  private constructor(
    readonly leafSize: number,
    expectedSize: number,
  ) {
    // Room for the size the copy had when it was looked at; a copy that grows meanwhile extends it.
    this.store = Buffer.alloc(Math.max(1, Math.ceil(expectedSize / leafSize)) * 32);
    this.leaves = new PieceDigests('sha256', leafSize, (digest) => this.keep(digest));
  }

  private get count(): number {
    return this.leaves.count;
  }

  static async create(leafSize: number, expectedSize: number, algorithms: Algorithm[]): Promise<LeafDigests> {
    const d = new LeafDigests(leafSize, expectedSize);
    const wanted = [...new Set<Algorithm>(['sha256', ...algorithms])];
    d.hashers = await Promise.all(wanted.map(async (a) => [a, await createHasher(a)] as [Algorithm, Hasher]));
    return d;
  }

  update(chunk: Buffer): void {
    for (const [, h] of this.hashers) h.update(chunk);
    this.leaves.update(chunk);
    this.bytes += chunk.length;
  }

  /** A leaf's digest, after those before it (called before the leaf is counted). */
  private keep(digest: Buffer): void {
    if ((this.count + 1) * 32 > this.store.length) {
      const grown = Buffer.alloc(this.store.length * 2);
      this.store.copy(grown);
      this.store = grown;
    }
    digest.copy(this.store, this.count * 32);
  }

  finish(): ScanSummary {
    this.leaves.finish();
    const digests: Partial<Record<Algorithm, string>> = {};
    for (const [a, h] of this.hashers) digests[a] = h.digestHex();
    return { size: this.bytes, leafSize: this.leafSize, leaves: this.count, digests };
  }

  /** The digest of leaves [from, to): one leaf's own digest, or the sha256 of their digests (past the end: of none). */
  node(from: number, to: number): string {
    const a = Math.min(from, this.count);
    const b = Math.min(to, this.count);
    if (b - a === 1 && to - from === 1) return this.store.subarray(a * 32, b * 32).toString('hex');
    return createHash('sha256').update(this.store.subarray(a * 32, b * 32)).digest('hex');
  }
}

export const SCAN_CHUNK = 8 * MiB;
