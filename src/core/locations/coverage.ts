import { randomInt } from 'node:crypto';
import type { CopyCoverage } from '../schedule/ledger.js';

/**
 * Sampled coverage carried from run to run: which blocks of a copy have
 * been read and found good since the cycle began. Each sample reads blocks
 * not yet read first, so repeated budgeted runs cover every byte of every
 * copy in a number of runs the report can state (a scrub, spread over
 * time). A cycle restarts when every block has been read, or when the copy
 * or its block map is no longer the one the blocks were read from.
 */
/** As the ledger keeps it with the copy's latest check. */
export type { CopyCoverage };

export class BlockSet {
  private constructor(
    readonly size: number,
    private readonly bits: Uint8Array,
  ) {}

  static empty(size: number): BlockSet {
    return new BlockSet(size, new Uint8Array(Math.ceil(size / 8)));
  }

  static fromBase64(size: number, b64: string): BlockSet {
    const bits = new Uint8Array(Math.ceil(size / 8));
    bits.set(Buffer.from(b64, 'base64').subarray(0, bits.length));
    return new BlockSet(size, bits);
  }

  has(i: number): boolean {
    return (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  add(i: number): void {
    this.bits[i >> 3]! |= 1 << (i & 7);
  }

  count(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.has(i)) n++;
    return n;
  }

  toBase64(): string {
    return Buffer.from(this.bits).toString('base64');
  }
}

/** The coverage a new sample builds on: the stored one if it is of this copy and map and not yet complete, else a fresh cycle. */
export function continueCoverage(prior: CopyCoverage | undefined, map: string, blocks: number, copy: string | undefined): { set: BlockSet; runs: number; since?: string } {
  if (!prior || prior.map !== map || prior.blocks !== blocks || prior.copy !== copy) return { set: BlockSet.empty(blocks), runs: 0 };
  const set = BlockSet.fromBase64(blocks, prior.read);
  if (set.count() >= blocks) return { set: BlockSet.empty(blocks), runs: 0 };
  return { set, runs: prior.runs, since: prior.cycle_started };
}

/**
 * The blocks a sample reads, in the order to read them: blocks not read
 * this cycle first (the first and the last, where headers and an archive's
 * end lie, lead a fresh cycle), the rest at random. The caller may take
 * fewer from the front (an egress budget).
 */
export function sampleOrder(total: number, want: number, done: BlockSet): number[] {
  const unread: number[] = [];
  for (let i = 0; i < total; i++) if (!done.has(i)) unread.push(i);
  const lead = [...new Set([0, total - 1])].filter((i) => !done.has(i));
  const rest = unread.filter((i) => !lead.includes(i));
  // A partial Fisher-Yates shuffle picks the rest.
  const n = Math.min(want, unread.length) - lead.length;
  for (let k = 0; k < n; k++) {
    const j = randomInt(k, rest.length);
    [rest[k], rest[j]] = [rest[j]!, rest[k]!];
  }
  return [...lead, ...rest.slice(0, Math.max(0, n))].slice(0, want);
}

/** Runs still needed to read every block at the latest run's rate (undefined when nothing was read yet). */
export function runsToFull(c: CopyCoverage): number | undefined {
  const left = c.blocks - BlockSet.fromBase64(c.blocks, c.read).count();
  if (left <= 0) return 0;
  return c.last_run_blocks > 0 ? Math.ceil(left / c.last_run_blocks) : undefined;
}

/** The share of a copy's blocks read this cycle. */
export function coveredShare(c: CopyCoverage): number {
  return c.blocks ? BlockSet.fromBase64(c.blocks, c.read).count() / c.blocks : 0;
}
