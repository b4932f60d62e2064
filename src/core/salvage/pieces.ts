/**
 * What a salvaging decoder hands the tar reader: output, marked where its
 * bytes are not known, and the places where output was lost and where it
 * picks up again.
 */
export type Piece =
  | {
      kind: 'data';
      bytes: Buffer;
      /** 1 where a byte is not known (it came from output lost to damage) */
      unknown?: Uint8Array;
    }
  | {
      kind: 'lost';
      /** compressed bytes where the damage is (as closely as the decoder can tell) */
      from: number;
      to: number;
      why: string;
    }
  | {
      kind: 'resumed';
      /** compressed byte decoding picked up at */
      compressed: number;
      /** where the output from here belongs in the uncompressed stream, when known */
      uncompressed?: number;
      how: string;
    }
  | {
      kind: 'warning';
      message: string;
      /** a compressed range known to be wrong without its place in the output being known (a failed CRC) */
      damage?: { from: number; to: number };
    };
