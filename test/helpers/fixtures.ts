import { createCipheriv, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** Deterministic bytes for fixtures (AES-CTR keystream of the seed). */
export function bytes(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const c = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([c.update(Buffer.alloc(length)), c.final()]);
}

export function digest(algo: string, data: Uint8Array): string {
  return createHash(algo).update(data).digest('hex');
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temp folder removed after the current test. */
export function tempDir(prefix = 'restorable-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function writeFixture(dir: string, name: string, data: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/**
 * `count` small backups in a new temp folder (`${prefix}00000.tar`…, each `size`
 * bytes starting with its name, so all differ) and a SHA256SUMS listing them.
 */
export function manyBackups(count: number, size: number, prefix = 'b-'): { dir: string; files: string[] } {
  const dir = tempDir();
  const files: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}${String(i).padStart(5, '0')}.tar`;
    const data = Buffer.alloc(size, i % 251);
    data.write(name);
    writeFileSync(join(dir, name), data);
    files.push(join(dir, name));
    lines.push(`${digest('sha256', data)}  ${name}\n`);
  }
  writeFileSync(join(dir, 'SHA256SUMS'), lines.join(''));
  return { dir, files };
}
