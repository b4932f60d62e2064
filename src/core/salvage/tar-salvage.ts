import { createHash } from 'node:crypto';
import { BLOCK, BadHeader, decodeHeader, isZeroBlock, padded } from '../archive/tar-format.js';
import { PaxState, describe, hasData, type ArchiveEntry } from '../archive/tar-member.js';
import type { Sandbox } from '../archive/sandbox.js';
import type { ContentIndex, ContentMember } from '../archive/contents.js';
import type { Piece } from './pieces.js';
import { Runs } from './runs.js';

/** What became of one member. */
export interface SalvagedMember {
  path: string;
  type: string;
  size: number;
  /**
   * verified: byte-identical to the content index's sha256; recovered: read
   * whole, with nothing to vouch for it; damaged: seen, but its bytes are not
   * all there or not right; lost: in the index, never seen.
   */
  state: 'verified' | 'recovered' | 'damaged' | 'lost';
  /** where its data lies in the uncompressed stream, when known */
  offset?: number;
  why?: string;
}

export type SalvageEvent =
  | { type: 'member'; member: SalvagedMember }
  | { type: 'piece'; piece: Exclude<Piece, { kind: 'data' }> }
  /** the tar stream is wrong where the decoder saw nothing wrong (or there is no decoder) */
  | { type: 'tar-damage'; offset?: number; why: string };

/** The member's content was cut short or holds unknown bytes. */
class Cut extends Error {}

const USTAR = Buffer.from('ustar');

/**
 * Reads a tar archive from salvaged output: member by member where the
 * output runs on, and after each loss from the next header that is whole
 * and passes its checksum. Each member is written through the sandbox;
 * one that turns out cut or unknown is removed again. With a content index,
 * a member is verified against its sha256, and those never seen are lost.
 */
export async function* salvageTar(pieces: AsyncIterable<Piece>, sandbox: Sandbox, index?: ContentIndex): AsyncGenerator<SalvageEvent> {
  const notes: SalvageEvent[] = [];
  const runs = new Runs(pieces[Symbol.asyncIterator](), (piece) => notes.push({ type: 'piece', piece }));
  const expected = new Map<string, ContentMember>();
  // By name, as the deep check matches them: the index was read by the same tar reader (the last of a name wins).
  for (const m of index?.members ?? []) expected.set(m.path, m);
  const seen = new Set<string>();
  const pax = new PaxState();
  let synced = true;
  for (;;) {
    yield* notes.splice(0);
    if (!synced && !(await findHeader(runs))) {
      yield* notes.splice(0);
      if (!(await runs.nextRun())) break;
      continue;
    }
    synced = true;
    const headerAt = runs.position;
    if ((await runs.fill(BLOCK)) < BLOCK) {
      if (runs.broken && (await runs.nextRun())) {
        synced = false;
        continue;
      }
      break;
    }
    const block = runs.take(BLOCK);
    if (block.unknown) {
      synced = false;
      continue;
    }
    const spoiled = (why: string): SalvageEvent => ({ type: 'tar-damage', ...(headerAt === undefined ? {} : { offset: headerAt }), why });
    if (isZeroBlock(block.bytes)) {
      // The end-of-archive marker; what follows is not tar's, but the decoder may still have news.
      await runs.drain();
      break;
    }
    let header;
    try {
      header = decodeHeader(block.bytes);
    } catch (err) {
      if (!(err instanceof BadHeader)) throw err;
      yield spoiled(`where a header was due, ${err.message}; read on from the next whole header`);
      synced = false;
      continue;
    }
    const stored = hasData(header.typeflag) ? header.size : 0;
    if (PaxState.describes(header.typeflag)) {
      const data = (await runs.fill(padded(stored))) === padded(stored) ? runs.take(padded(stored)) : undefined;
      if (!data || data.unknown) {
        pax.next();
        synced = false;
        continue;
      }
      pax.take(header.typeflag, data.bytes.subarray(0, stored));
      continue;
    }
    let entry: ArchiveEntry;
    try {
      entry = describe(header, pax, headerAt ?? 0, headerAt === undefined ? 0 : headerAt + BLOCK);
    } catch (err) {
      if (!(err instanceof BadHeader)) throw err;
      pax.next();
      synced = false;
      continue;
    }
    pax.next();
    const size = entry.storedSize;
    const known = expected.get(entry.path);
    // Hashed only when there is a sha256 to compare with.
    const result = await takeMember(runs, sandbox, entry, size, known?.sha256 !== undefined);
    const member: SalvagedMember = { path: entry.path, type: entry.type, size: entry.size, state: result.complete ? 'recovered' : 'damaged', ...(headerAt === undefined ? {} : { offset: headerAt + BLOCK }) };
    if (known) {
      seen.add(known.path);
      member.offset = known.offset;
      if (result.complete && known.sha256 !== undefined) {
        if (result.sha256 === known.sha256 && size === known.size) member.state = 'verified';
        else {
          member.state = 'damaged';
          member.why = 'its content differs from the content index';
          await sandbox.discard(entry.path);
        }
      }
    }
    if (!result.complete) member.why = result.why;
    yield { type: 'member', member };
    if (!result.complete) synced = false;
    else if (padded(size) > size) {
      await runs.fill(padded(size) - size);
      runs.take(padded(size) - size);
    }
  }
  yield* notes.splice(0);
  for (const m of expected.values()) {
    if (!seen.has(m.path)) yield { type: 'member', member: { path: m.path, type: m.type, size: m.size, state: 'lost', offset: m.offset } };
  }
}

/** Writes a member's content through the sandbox; whether all of it was there and known, and its sha256. */
async function takeMember(runs: Runs, sandbox: Sandbox, entry: ArchiveEntry, size: number, hashed: boolean): Promise<{ complete: true; sha256?: string } | { complete: false; why: string }> {
  const hash = hashed ? createHash('sha256') : undefined;
  let left = size;
  let why = '';
  async function* content(): AsyncGenerator<Buffer> {
    while (left > 0) {
      // A piece of output at a time, as the decoder gave it: no copying into larger buffers.
      if ((await runs.fill(1)) === 0) throw new Cut((why = 'output was lost inside it'));
      const piece = runs.takeSome(left);
      if (piece.unknown) throw new Cut((why = 'part of it depends on output lost to damage'));
      hash?.update(piece.bytes);
      left -= piece.bytes.length;
      yield piece.bytes;
    }
  }
  try {
    await sandbox.add(entry, content());
    // A member the sandbox did not write (a link, a refused name) still has its data to pass.
    for await (const _ of content());
  } catch (err) {
    if (!(err instanceof Cut)) throw err;
    await sandbox.discard(entry.path);
    return { complete: false, why };
  }
  return { complete: true, ...(hash ? { sha256: hash.digest('hex') } : {}) };
}

/** Drops bytes until a whole header that passes its checksum starts the run; false if the run ends first. */
async function findHeader(runs: Runs): Promise<boolean> {
  const SPAN = 256 * 1024;
  for (;;) {
    const n = await runs.fill(SPAN + BLOCK);
    const { bytes } = runs.peekAt(0, n);
    for (let i = bytes.indexOf(USTAR, 257); i >= 0 && i - 257 + BLOCK <= n; i = bytes.indexOf(USTAR, i + 1)) {
      const block = runs.peekAt(i - 257, BLOCK);
      if (block.unknown) continue;
      try {
        decodeHeader(block.bytes);
      } catch {
        continue;
      }
      runs.skip(i - 257);
      return true;
    }
    if (runs.broken) {
      runs.skip(n);
      return false;
    }
    // Keep the tail: a header may straddle what is held.
    runs.skip(n - BLOCK);
  }
}
