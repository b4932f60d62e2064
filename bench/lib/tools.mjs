// What this machine has: the tools to compare against (and their versions),
// the CPU, and the memory available for the page cache.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsc, readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { delimiter, join } from 'node:path';
import { firstLine } from './text.mjs';

export function which(cmd) {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    const p = join(d, cmd);
    try {
      accessSync(p, fsc.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The other tools, by name: their paths, or null where one is not installed. */
export function findTools() {
  return { openssl: which('openssl'), sha256sum: which('sha256sum'), b3sum: which('b3sum') };
}

/** One line of version, e.g. `sha256sum (GNU coreutils) 9.1`. */
export function toolVersion(path, args = ['--version']) {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 10_000 });
  return firstLine(r.stdout || r.stderr).trim();
}

export function memAvailable() {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function machineInfo() {
  let model = cpus()[0]?.model?.trim() || 'unknown';
  const flags = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) model = m[1].trim();
    const f = /^flags\s*:\s*(.+)$/m.exec(info);
    if (f) {
      const set = new Set(f[1].split(/\s+/));
      for (const x of ['sha_ni', 'aes', 'avx2', 'avx512f']) if (set.has(x)) flags.push(x);
    }
  } catch {
    // not Linux
  }
  return { model, cores: availableParallelism(), flags };
}
