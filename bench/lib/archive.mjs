// The benchmarks' generated .tar.gz: log-like text with some incompressible
// bytes, made once and kept in the bench folder.
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './text.mjs';

/** A tar.gz of `files` files of ~50 KB each (log lines that compress as real backups do, and noise), at `path`. */
export function makeArchive(path, files, dir) {
  if (existsSync(path)) return;
  log(`  creating ${path} (${files} files)…`);
  const src = mkdtempSync(join(dir, 'deep-src-'));
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), Buffer.alloc(16));
  for (let i = 0; i < files; i++) {
    const folder = join(src, 'data', `d${String(i % 100).padStart(2, '0')}`);
    if (i < 100) mkdirSync(folder, { recursive: true });
    const line = `2026-11-20T02:00:${String(i % 60).padStart(2, '0')}Z host-${i % 17} GET /api/orders/${i} 200 ${i * 7}\n`;
    const text = line.repeat(Math.ceil(40_000 / line.length));
    const noise = cipher.update(Buffer.alloc(10_000)).toString('base64');
    writeFileSync(join(folder, `f${i}.log`), text + noise);
  }
  const r = spawnSync('tar', ['-czf', path, '-C', src, 'data']);
  rmSync(src, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`tar -czf failed: ${r.stderr}`);
}
