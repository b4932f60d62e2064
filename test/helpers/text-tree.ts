import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * A folder of `count` small text files (documentation-like: words drawn
 * from a skewed vocabulary, numbers, line breaks), the same on every run,
 * and a tar of it made by GNU tar. Returns the tar's path and the files'
 * contents by member path.
 */
export function textTree(dir: string, count: number, avgSize = 4000): { tar: string; files: Map<string, Buffer> } {
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const letters = 'etaoinshrdlucmfwypvbgkjqxz';
  const vocab = Array.from({ length: 5000 }, () => {
    let w = '';
    const n = 2 + Math.floor(rnd() * rnd() * 12);
    for (let i = 0; i < n; i++) w += letters[Math.floor(rnd() * rnd() * 26)];
    return w;
  });
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const folder = `docs/part${String(Math.floor(i / 100)).padStart(3, '0')}`;
    mkdirSync(join(dir, folder), { recursive: true });
    const size = Math.floor(avgSize / 4 + rnd() * avgSize * 1.5);
    let t = `# Page ${i}\n\n`;
    while (t.length < size) t += (rnd() < 0.03 ? Math.floor(rnd() * 1e6).toString(16) : vocab[Math.min(4999, Math.floor(1 / (rnd() + 1e-4)) - 1)]) + (rnd() < 0.08 ? '.\n' : ' ');
    const path = `${folder}/page${String(i).padStart(5, '0')}.md`;
    writeFileSync(join(dir, path), t);
    files.set(path, Buffer.from(t));
  }
  const tar = join(dir, 'docs.tar');
  execFileSync('tar', ['--sort=name', '--mtime=2020-01-01 00:00Z', '--owner=0', '--group=0', '--numeric-owner', '-cf', tar, '-C', dir, 'docs']);
  return { tar, files };
}
