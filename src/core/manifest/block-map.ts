import { z } from 'zod';
import { ManifestError } from '../errors.js';
import type { BlockMap } from './model.js';
import { fieldPath } from './safe-json.js';

/**
 * NAME.blocks.json: per-block sha256 digests of a backup, so a corrupted
 * backup can be located to the block and repaired from another copy.
 */

const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hexadecimal digits (sha256)')
  .transform((s) => s.toLowerCase());
const count = z.number().int('expected a whole number').nonnegative('must not be negative');

const blockEntry = z.object({
  block: count,
  offset: count,
  size: count,
  hash: sha256Hex,
});

const blockMapSchema = z.object({
  file: z.string().min(1, 'must not be empty'),
  file_size: count,
  block_size: count.positive('must be positive'),
  total_blocks: count,
  file_hash: sha256Hex,
  blocks: z.array(blockEntry),
});

// The schema must produce exactly the BlockMap the rest of the engine uses.
const _sameShape: (m: z.infer<typeof blockMapSchema>) => BlockMap = (m) => m;
void _sameShape;

/** Parses and fully validates a block map: shape, then that the blocks tile the file exactly. */
export function parseBlockMap(file: string, value: unknown): BlockMap {
  const parsed = blockMapSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ManifestError(file, fieldPath(issue.path), issue.message);
  }
  const map = parsed.data;
  checkTiling(file, map);
  return map;
}

function checkTiling(file: string, map: BlockMap): void {
  const expectedCount = Math.ceil(map.file_size / map.block_size);
  if (map.total_blocks !== expectedCount) {
    throw new ManifestError(file, 'total_blocks', `is ${map.total_blocks}, but ${map.file_size} bytes in blocks of ${map.block_size} make ${expectedCount}`);
  }
  if (map.blocks.length !== map.total_blocks) {
    throw new ManifestError(file, 'blocks', `lists ${map.blocks.length} blocks, but total_blocks is ${map.total_blocks}`);
  }
  let end = 0;
  map.blocks.forEach((b, i) => {
    const at = `blocks[${i}]`;
    if (b.block !== i) throw new ManifestError(file, `${at}.block`, `is ${b.block}, expected ${i} (blocks must be listed in order, without gaps or repeats)`);
    if (b.offset > end) throw new ManifestError(file, `${at}.offset`, `is ${b.offset}: gap of ${b.offset - end} bytes after the previous block, which ends at ${end}`);
    if (b.offset < end) throw new ManifestError(file, `${at}.offset`, `is ${b.offset}: overlaps the previous block, which ends at ${end}`);
    if (b.offset + b.size > map.file_size) {
      throw new ManifestError(file, `${at}.size`, `block ends at ${b.offset + b.size}, past the end of the file (${map.file_size} bytes)`);
    }
    const expectedSize = Math.min(map.block_size, map.file_size - b.offset);
    if (b.size !== expectedSize) throw new ManifestError(file, `${at}.size`, `is ${b.size}, expected ${expectedSize}`);
    end = b.offset + b.size;
  });
}
