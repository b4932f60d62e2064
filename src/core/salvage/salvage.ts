import { mkdir, readdir } from 'node:fs/promises';
import { loadContentIndex } from '../archive/contents-schema.js';
import type { ContentIndex } from '../archive/contents.js';
import type { Compression } from '../archive/detect.js';
import { openArchive } from '../archive/open-archive.js';
import { DEFAULT_LIMITS, Sandbox, limitsForFolder } from '../archive/sandbox.js';
import { EXIT, RestorableError, fsError } from '../errors.js';
import { PositionalReader } from './frame-points.js';
import { gzipPieces } from './gzip-salvage.js';
import type { Piece } from './pieces.js';
import { salvageTar, type SalvageEvent, type SalvagedMember } from './tar-salvage.js';
import { decoded, streamPieces, zstdPieces, xzPieces } from './frame-salvage.js';
import { bzip2Pieces } from './bzip2-salvage.js';

export interface SalvageReport {
  file: string;
  format: string;
  out: string;
  /** the content index used to verify members, if there was one */
  index?: string;
  /** regular files, by what became of them */
  counts: Record<SalvagedMember['state'], number>;
  /** folders, links and other members with no content, made or recorded */
  entries: number;
  /** members not verified or recovered, in archive order */
  missing: SalvagedMember[];
  /** compressed byte ranges where output was lost or is wrong, and why */
  losses: { from: number; to: number; why: string }[];
  /** where decoding picked up again after each loss */
  resumes: { compressed: number; uncompressed?: number; how: string }[];
  /** places in the tar stream that are wrong though decoding went on */
  tarDamage: { offset?: number; why: string }[];
  warnings: string[];
  /** bytes written into `out` */
  bytes: number;
}

export type { SalvageEvent, SalvagedMember };

/**
 * Extracts every member of a tar archive that can be recovered into
 * `out`, past damage: each loss is crossed at the next place decoding can
 * pick up (a deflate block, a restart point of the content index, a zstd
 * frame, an xz block, a gzip member), and reading resumes at the next whole
 * tar header. With NAME.contents.json, each member is checked against its
 * sha256 and those never seen are listed as lost.
 */
export async function* salvage(file: string, out: string): AsyncGenerator<SalvageEvent, SalvageReport> {
  const archive = await openArchive(file);
  const { handle, compression, container, format, before } = archive;
  try {
    if (container !== 'tar') throw new RestorableError(`${file}: salvage reads tar archives (this is ${format})`);
    const { index, warning } = await loadContentIndex(file, before.size);
    await emptyFolder(out);
    const reader = new PositionalReader(handle, before.size);
    // Without an index nothing checks a member, so output just before a decoder gave up is not believed.
    const decoded = piecesFor(compression, reader, index, file);
    const pieces = index ? decoded : holdBack(decoded);
    const limits = await limitsForFolder(out, DEFAULT_LIMITS, index?.uncompressed_size);
    // The ratio limit is judged against the whole file: salvage skips about in it.
    const sandbox = new Sandbox(out, limits, () => reader.size, true);
    const report: SalvageReport = {
      file,
      format,
      out,
      ...(index ? { index: `${file}.contents.json` } : {}),
      counts: { verified: 0, recovered: 0, damaged: 0, lost: 0 },
      entries: 0,
      missing: [],
      losses: [],
      resumes: [],
      tarDamage: [],
      warnings: warning ? [warning] : [],
      bytes: 0,
    };
    let afterLoss = false;
    for await (const event of salvageTar(pieces, sandbox, index)) {
      if (event.type === 'member') {
        if (event.member.type !== 'file') report.entries++;
        else report.counts[event.member.state]++;
        if (event.member.state === 'damaged' || event.member.state === 'lost') report.missing.push(event.member);
      } else if (event.type === 'tar-damage') report.tarDamage.push({ ...(event.offset === undefined ? {} : { offset: event.offset }), why: event.why });
      else if (event.piece.kind === 'lost') {
        report.losses.push({ from: event.piece.from, to: event.piece.to, why: event.piece.why });
        afterLoss = true;
      } else if (event.piece.kind === 'resumed') {
        // Crossing a restart point on healthy data is no news.
        if (afterLoss) report.resumes.push({ compressed: event.piece.compressed, uncompressed: event.piece.uncompressed, how: event.piece.how });
        afterLoss = false;
      } else if (event.piece.damage) report.losses.push({ ...event.piece.damage, why: event.piece.message });
      else report.warnings.push(event.piece.message);
      yield event;
    }
    report.warnings.push(...sandbox.findings.map((f) => f.message));
    report.bytes = sandbox.stats.bytes;
    return report;
  } finally {
    await handle.close();
  }
}

function piecesFor(compression: Compression, reader: PositionalReader, index: ContentIndex | undefined, file: string): AsyncIterable<Piece> {
  switch (compression) {
    case 'gzip':
      return gzipPieces(reader, index?.restart_points);
    case 'zstd':
      return zstdPieces(reader, file);
    case 'xz':
      return xzPieces(reader, file);
    case 'bzip2':
      return bzip2Pieces(reader, (stream) => decoded([stream], 'bzip2', file));
    case 'none':
      // An uncompressed tar: its bytes as they are.
      return (async function* () {
        for await (const bytes of reader.range(0, reader.size)) yield { kind: 'data', bytes } as const;
      })();
    default:
      return streamPieces(reader, compression, file);
  }
}

/** Output a decoder gives in the last MiB before it fails may already be wrong. */
const DOUBTFUL = 1024 * 1024;

/**
 * Holds the last MiB of output back until more follows; when a loss
 * follows instead, that output is passed on marked unknown: decoders
 * notice damage a little after it, not at it.
 */
async function* holdBack(pieces: AsyncIterable<Piece>): AsyncGenerator<Piece> {
  const held: Extract<Piece, { kind: 'data' }>[] = [];
  let heldBytes = 0;
  for await (const p of pieces) {
    if (p.kind === 'data') {
      held.push(p);
      heldBytes += p.bytes.length;
      while (heldBytes - held[0]!.bytes.length >= DOUBTFUL) {
        heldBytes -= held[0]!.bytes.length;
        yield held.shift()!;
      }
      continue;
    }
    const doubtful = p.kind === 'lost';
    for (const h of held.splice(0)) yield doubtful ? { kind: 'data', bytes: h.bytes, unknown: new Uint8Array(h.bytes.length).fill(1) } : h;
    heldBytes = 0;
    yield p;
  }
  yield* held;
}

/** `out` made if missing; refused if it holds anything, so nothing recovered mixes with what was there. */
async function emptyFolder(out: string): Promise<void> {
  try {
    await mkdir(out, { recursive: true, mode: 0o700 });
    const there = await readdir(out);
    if (there.length) throw new RestorableError(`${out}: not empty; salvage writes into an empty or new folder`, EXIT.cannotCheck);
  } catch (err) {
    throw err instanceof RestorableError ? err : fsError(err, out);
  }
}
