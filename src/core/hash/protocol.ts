import type { Algorithm } from './algorithms.js';
import type { FileIdentity } from './file-identity.js';

/**
 * Messages between the engine (main thread) and hash workers. Data never
 * travels in messages: workers read the file themselves into shared memory,
 * and coordinate through Atomics on a shared control array.
 */

export type StreamTask = { kind: 'digest'; algorithm: Algorithm } | { kind: 'blocks'; blockSize: number };

export interface StreamStart {
  type: 'stream';
  job: number;
  path: string;
  /** the reader reads the file into the ring; followers hash what it published */
  role: 'reader' | 'follower';
  /** this worker's consumer index (the reader is 0) */
  consumer: number;
  consumers: number;
  ring: SharedArrayBuffer;
  slotSize: number;
  slots: number;
  control: SharedArrayBuffer;
  tasks: StreamTask[];
}

export interface BlocksStart {
  type: 'blocks';
  job: number;
  path: string;
  blockSize: number;
  /** bytes of the file to cover (the block map's file size) */
  limit: number;
  chunkBytes: number;
  control: SharedArrayBuffer;
  /** a spinning disk: workers read one at a time, chunks in file order, and hash in parallel after */
  oneReader?: boolean;
}

export type ToWorker = StreamStart | BlocksStart;

export type FromWorker =
  /** block digests completed in the stream, in file order */
  | { type: 'stream-blocks'; job: number; first: number; digests: string[] }
  | {
      type: 'stream-result';
      job: number;
      digests: Partial<Record<Algorithm, string>>;
      /** only from the reader: what it read and whether the file changed meanwhile */
      bytes?: number;
      before?: FileIdentity;
      changed?: string;
    }
  | {
      type: 'blocks-chunk';
      job: number;
      chunk: number;
      /** digests of the blocks read, in order */
      digests: string[];
      /** bytes actually read (less than asked at end of file) */
      bytes: number;
      /** set when the read failed (e.g. EIO): the chunk's blocks are unreadable */
      readError?: string;
    }
  | { type: 'blocks-done'; job: number }
  | { type: 'error'; job: number; message: string; code?: string };

/** Int32 slots of a stream job's control array. */
export const STREAM = {
  FILLED: 0, // chunks published by the reader
  TOTAL: 1, // chunk count once the reader hit end of file, else -1
  ABORT: 2, // set by the engine: stop now
  FAILED: 3, // set by the reader when it cannot go on
  BYTES_LO: 4, // bytes read so far (two halves: Int32 Atomics only)
  BYTES_HI: 5,
  LENGTHS: 8, // LENGTHS + slot: bytes in that slot
} as const;

/** Index of consumer c's "chunks consumed" counter. */
export function consumedIndex(slots: number, c: number): number {
  return STREAM.LENGTHS + slots + c;
}

export function streamControlInts(slots: number, consumers: number): number {
  return STREAM.LENGTHS + slots + consumers;
}

/** Int32 slots of a blocks job's control array. */
export const BLOCKS = { NEXT_CHUNK: 0, ABORT: 1, READ_TURN: 2 } as const;
