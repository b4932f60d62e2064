import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isAlgorithm } from '../hash/algorithms.js';
import { ScannedSide } from './copy-side.js';

/**
 * The conversation between a comparison and a copy on another machine
 * (`restorable serve-copy PATH`, started there over ssh): one JSON object
 * per line each way. The far side reads and hashes its copy where it lies
 * and answers with digests; only `read` sends bytes.
 */

export const GREETING = 'restorable serve-copy 1';

export type CopyRequest =
  | { id: number; op: 'size' }
  | { id: number; op: 'scan'; leafSize: number; algorithms: string[] }
  | { id: number; op: 'nodes'; ranges: [number, number][] }
  | { id: number; op: 'read'; offset: number; length: number };

export type CopyResponse = { hello: string } | { id: number; result: unknown } | { id: number; error: string } | { id: number; progress: number };

/** Largest read one request may ask for: the differing ranges are sent in pieces. */
export const MAX_READ = 4 * 1024 * 1024;

/** Serves one copy on stdin/stdout until stdin closes. Errors go back as answers, never as a stack trace. */
export async function serveCopy(path: string, input: Readable, output: Writable, signal?: AbortSignal): Promise<void> {
  const side = ScannedSide.file(path, signal);
  const send = (msg: CopyResponse) => output.write(`${JSON.stringify(msg)}\n`);
  send({ hello: GREETING });
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let req: CopyRequest;
    try {
      req = JSON.parse(line) as CopyRequest;
    } catch {
      send({ id: -1, error: 'not a request' });
      continue;
    }
    try {
      send({ id: req.id, result: await answer(side, req, (n) => send({ id: req.id, progress: n })) });
    } catch (err) {
      send({ id: req.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

async function answer(side: ScannedSide, req: CopyRequest, progress: (bytes: number) => void): Promise<unknown> {
  switch (req.op) {
    case 'size':
      return side.size();
    case 'scan': {
      const algorithms = req.algorithms.filter(isAlgorithm);
      // Progress at most every 64 MiB: a line per chunk would outweigh the digests.
      let pending = 0;
      const summary = await side.scan(req.leafSize, algorithms, (n) => {
        pending += n;
        if (pending >= 64 * 1024 * 1024) {
          progress(pending);
          pending = 0;
        }
      });
      if (pending) progress(pending);
      return summary;
    }
    case 'nodes':
      return side.nodes(req.ranges);
    case 'read':
      return (await side.read(req.offset, Math.min(req.length, MAX_READ))).toString('base64');
    default:
      throw new Error(`unknown request ${(req as { op: string }).op}`);
  }
}
