import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsError } from './errors.js';

/**
 * Temp folders (sandboxes, restore targets, downloaded manifests) and temp
 * files (a heal's file in progress) are known in one place, so that every
 * one still present can be removed on the way out: a check removes its own
 * in `finally`; a second Ctrl-C, which exits without waiting for that,
 * removes the rest synchronously first.
 */
const live = new Set<string>();

export interface TempDir {
  readonly path: string;
  /** removes it and everything in it; safe to call twice */
  remove(): Promise<void>;
}

export async function makeTempDir(prefix: string, parent = tmpdir()): Promise<TempDir> {
  let path: string;
  try {
    path = await mkdtemp(join(parent, prefix));
  } catch (err) {
    throw fsError(err, parent);
  }
  live.add(path);
  return {
    path,
    async remove() {
      if (!live.has(path)) return;
      await rm(path, { recursive: true, force: true, maxRetries: 2 });
      live.delete(path);
    },
  };
}

/**
 * Marks a temp file this process writes (removed by a second Ctrl-C if still
 * there). Returns the release: call it once the file is renamed into place
 * or removed.
 */
export function trackTempFile(path: string): () => void {
  live.add(path);
  return () => void live.delete(path);
}

/** Removes every temp folder and file still present, at once (the process is about to exit). */
export function removeTempPathsSync(): void {
  for (const path of live) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // the exit goes on: its message names what could not be removed
      continue;
    }
    live.delete(path);
  }
}

/** Temp paths not yet removed (for the exit message). */
export function liveTempPaths(): string[] {
  return [...live];
}
