import type { Algorithm } from '../hash/algorithms.js';
import type { BlockMap } from './model.js';

/** The manifests restorable writes (no schema library needed to write them). */

/** The document restorable writes: both shapes' fields, sha256 always present. */
export function renderJsonManifest(input: { backupFile: string; size: number; digests: Partial<Record<Algorithm, string>>; createdAt: Date }): string {
  const { sha256 } = input.digests;
  if (!sha256) throw new Error('a manifest always carries sha256');
  const doc = {
    backup_file: input.backupFile,
    created_at: input.createdAt.toISOString(),
    file_size: input.size,
    hashes: input.digests,
    size: input.size,
    hash: sha256,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Builds the block map for a file from its block digests. */
export function buildBlockMap(name: string, fileSize: number, blockSize: number, fileHash: string, digests: string[]): BlockMap {
  const blocks = digests.map((hash, i) => ({
    block: i,
    offset: i * blockSize,
    size: Math.min(blockSize, fileSize - i * blockSize),
    hash,
  }));
  return { file: name, file_size: fileSize, block_size: blockSize, total_blocks: blocks.length, file_hash: fileHash, blocks };
}

/** A block map as JSON, one block per line so it stays readable and diffable. */
export function renderBlockMap(map: BlockMap): string {
  const { blocks, ...head } = map;
  const headJson = JSON.stringify(head, null, 2).slice(0, -2);
  const lines = blocks.map((b) => `    ${JSON.stringify(b)}`);
  return `${headJson},\n  "blocks": [\n${lines.join(',\n')}\n  ]\n}\n`;
}
