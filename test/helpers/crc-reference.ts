/**
 * CRC-64/NVME and CRC-32C bit by bit, straight from their definitions
 * (reflected, initial value and final XOR all ones): slow, small, and
 * independent of the engines restorable uses, to judge them by.
 */
export function crc64nvmeReference(data: Uint8Array): string {
  const poly = 0x9a6c9329ac4bc9b5n;
  let crc = 0xffffffffffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return (crc ^ 0xffffffffffffffffn).toString(16).padStart(16, '0');
}

export function crc32cReference(data: Uint8Array): string {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

/** The base64 of a checksum's big-endian bytes, as S3 sends it in x-amz-checksum-*. */
export const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
