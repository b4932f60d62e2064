import { createHash, type Hash } from 'node:crypto';

/**
 * The digest of every fixed-size piece of a byte stream (the last one may
 * be short), handed over as each piece completes: a block map's blocks, the
 * leaves of a copy's digest tree, the parts of a multipart ETag.
 */
export class PieceDigests {
  private hash: Hash;
  private filled = 0;
  /** pieces closed so far */
  count = 0;

  constructor(
    private readonly algorithm: 'sha256' | 'md5',
    readonly size: number,
    private readonly onPiece: (digest: Buffer) => void,
  ) {
    this.hash = createHash(algorithm);
  }

  update(data: Uint8Array): void {
    for (let at = 0; at < data.length; ) {
      const take = Math.min(data.length - at, this.size - this.filled);
      this.hash.update(data.subarray(at, at + take));
      this.filled += take;
      at += take;
      if (this.filled === this.size) this.close();
    }
  }

  /** Closes the short last piece; with `evenIfEmpty`, one piece of nothing when no byte came (S3's ETag of an empty upload). */
  finish(evenIfEmpty = false): void {
    if (this.filled > 0 || (evenIfEmpty && this.count === 0)) this.close();
  }

  private close(): void {
    this.onPiece(this.hash.digest());
    this.count++;
    this.hash = createHash(this.algorithm);
    this.filled = 0;
  }
}
