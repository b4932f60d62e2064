import { createHash, type Hash } from 'node:crypto';
import type { Algorithm } from '../hash/algorithms.js';
import { createHasher, type Hasher } from '../hash/hasher.js';
import { PieceDigests } from '../hash/piece-digests.js';
import type { BlockMap } from '../manifest/model.js';
import { CORRUPT, MISSING, OK } from '../checks/blocks.js';

/**
 * Every digest one pass over a copy can give, fed chunk by chunk as the
 * bytes arrive (from a local read or a download): the manifest's digests,
 * the MD5 an S3 ETag is compared with, multipart ETags for given part
 * sizes, and each block against the block map.
 */
export interface DigestPlan {
  algorithms: Algorithm[];
  /** part sizes of multipart ETags to recompute ("md5 of part md5s-N") */
  etagPartSizes?: number[];
  blockMap?: BlockMap;
}

export interface CopyDigests {
  bytes: number;
  digests: Partial<Record<Algorithm, string>>;
  /** partSize → ETag as S3 computes it for a multipart upload in parts of that size */
  etags: Record<string, string>;
  /** per block of the map: OK, CORRUPT or MISSING (the copy ended first) */
  blockStates?: Uint8Array;
  /** actual sha256 of each corrupt block */
  actualBlockDigests: Map<number, string>;
}

/** The ETag S3 gives a multipart upload in parts of `partSize`: the MD5 of the parts' MD5s, "-N". */
class PartMd5 {
  private readonly parts: Buffer[] = [];
  private readonly pieces: PieceDigests;
  constructor(readonly partSize: number) {
    this.pieces = new PieceDigests('md5', partSize, (d) => this.parts.push(d));
  }

  update(chunk: Buffer): void {
    this.pieces.update(chunk);
  }

  etag(): string {
    // An empty upload is one empty part.
    this.pieces.finish(true);
    return `${createHash('md5').update(Buffer.concat(this.parts)).digest('hex')}-${this.parts.length}`;
  }
}

export class CopyDigester {
  private hashers: [Algorithm, Hasher][] = [];
  private parts: PartMd5[];
  private bytes = 0;
  private block?: { index: number; filled: number; hash: Hash };
  private readonly states?: Uint8Array;
  private readonly actual = new Map<number, string>();

  private constructor(private readonly plan: DigestPlan) {
    this.parts = (plan.etagPartSizes ?? []).map((p) => new PartMd5(p));
    if (plan.blockMap) this.states = new Uint8Array(plan.blockMap.total_blocks);
  }

  static async create(plan: DigestPlan): Promise<CopyDigester> {
    const d = new CopyDigester(plan);
    d.hashers = await Promise.all(plan.algorithms.map(async (a) => [a, await createHasher(a)] as [Algorithm, Hasher]));
    return d;
  }

  update(chunk: Buffer): void {
    for (const [, h] of this.hashers) h.update(chunk);
    for (const p of this.parts) p.update(chunk);
    if (this.plan.blockMap) this.updateBlocks(chunk);
    this.bytes += chunk.length;
  }

  private updateBlocks(chunk: Buffer): void {
    const map = this.plan.blockMap!;
    for (let at = 0; at < chunk.length; ) {
      const index = Math.floor((this.bytes + at) / map.block_size);
      if (index >= map.total_blocks) return; // bytes past the map's end: an extra region, told by the size
      this.block ??= { index, filled: 0, hash: createHash('sha256') };
      const want = map.blocks[index]!.size - this.block.filled;
      const take = Math.min(want, chunk.length - at);
      this.block.hash.update(chunk.subarray(at, at + take));
      this.block.filled += take;
      at += take;
      if (this.block.filled === map.blocks[index]!.size) this.closeBlock();
    }
  }

  private closeBlock(): void {
    const { index, hash } = this.block!;
    const digest = hash.digest('hex');
    const ok = digest === this.plan.blockMap!.blocks[index]!.hash;
    this.states![index] = ok ? OK : CORRUPT;
    if (!ok) this.actual.set(index, digest);
    this.block = undefined;
  }

  finish(): CopyDigests {
    if (this.states) {
      // A block the copy ended inside, and every block after it, is missing.
      for (let i = 0; i < this.states.length; i++) if (this.states[i] === 0) this.states[i] = MISSING;
    }
    const digests: Partial<Record<Algorithm, string>> = {};
    for (const [a, h] of this.hashers) digests[a] = h.digestHex();
    const etags: Record<string, string> = {};
    for (const p of this.parts) etags[p.partSize] = p.etag();
    return { bytes: this.bytes, digests, etags, blockStates: this.states, actualBlockDigests: this.actual };
  }
}
