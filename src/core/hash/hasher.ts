import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Algorithm } from './algorithms.js';

/** The incremental digest interface every engine below provides. */
export interface Hasher {
  update(data: Uint8Array): void;
  digestHex(): string;
}

type Blake3Factory = () => Promise<Hasher>;
let blake3Factory: Blake3Factory | undefined;

/**
 * BLAKE3 through the native (Rust, SIMD) binding when the platform has a
 * prebuilt one: about 5x faster than WebAssembly here. hash-wasm is the
 * portable fallback.
 */
function blake3(): Blake3Factory {
  if (blake3Factory) return blake3Factory;
  try {
    const require = createRequire(import.meta.url);
    const { Blake3Hasher } = require('@napi-rs/blake-hash') as typeof import('@napi-rs/blake-hash');
    blake3Factory = async () => {
      const h = new Blake3Hasher();
      return {
        update: (data) => void h.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
        digestHex: () => h.digest('hex'),
      };
    };
  } catch {
    blake3Factory = async () => {
      const { createBLAKE3 } = await import('hash-wasm');
      const h = await createBLAKE3();
      h.init();
      return {
        update: (data) => void h.update(data),
        digestHex: () => h.digest('hex'),
      };
    };
  }
  return blake3Factory;
}

export async function createHasher(algorithm: Algorithm): Promise<Hasher> {
  if (algorithm === 'blake3') return blake3()();
  const h = createHash(algorithm);
  return {
    update: (data) => void h.update(data),
    digestHex: () => h.digest('hex'),
  };
}

/** sha256 of one buffer: the block digest used by block maps. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
