import type { Algorithm } from './algorithms.js';

/** Messages between the engine (main thread) and hash workers. */

export type StreamTask = { kind: 'digest'; algorithm: Algorithm } | { kind: 'blocks'; blockSize: number };

export type ToWorker =
  /** Hash a file that the main thread reads into a shared ring of slots. */
  | { type: 'stream-start'; job: number; ring: SharedArrayBuffer; slotSize: number; tasks: StreamTask[] }
  | { type: 'chunk'; job: number; slot: number; length: number }
  | { type: 'stream-end'; job: number }
  /**
   * Hash fixed-size blocks of a file that each worker reads itself, claiming
   * chunks from a shared counter (control[0]); control[1] != 0 means stop.
   */
  | {
      type: 'blocks-start';
      job: number;
      path: string;
      blockSize: number;
      /** bytes of the file to cover (the block map's file size) */
      limit: number;
      chunkBytes: number;
      control: SharedArrayBuffer;
    };

export type FromWorker =
  | { type: 'chunk-done'; job: number; slot: number; blocks?: string[] }
  | { type: 'stream-result'; job: number; digests: Partial<Record<Algorithm, string>>; blocks?: string[] }
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

/** control[] slots of a blocks job */
export const CONTROL_NEXT_CHUNK = 0;
export const CONTROL_ABORT = 1;
