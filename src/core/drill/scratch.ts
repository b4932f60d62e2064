import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '../temp-paths.js';
import { handOver, type RunAs } from './run-as.js';

const PREFIX = 'restorable-drill-';
const MARKER = 'restorable-drill.pid';

/** Whether a process is alive (signal 0 tests it without touching it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A drill's throwaway folder: fresh, 0700, owned by the user the drill runs
 * as, marked with our pid. Before it is made, what a drill killed with
 * SIGKILL left behind (its marker names a process that is gone) is removed,
 * its server stopped first.
 */
export async function makeDrillDir(runAs: RunAs, parent = tmpdir()): Promise<TempDir> {
  await removeLeftovers(parent);
  const dir = await makeTempDir(PREFIX, parent);
  try {
    await chmod(dir.path, 0o700);
    await writeFile(join(dir.path, MARKER), `${process.pid}\n`);
    await handOver(runAs, dir.path);
    // The marker goes last: a removal that fails half-way leaves it, so the next drill finishes the job.
    return {
      path: dir.path,
      async remove() {
        const names = existsSync(dir.path) ? readdirSync(dir.path) : []; // removed already: safe to call twice
        for (const name of names.filter((n) => n !== MARKER)) await rm(join(dir.path, name), { recursive: true, force: true, maxRetries: 2 });
        await dir.remove();
      },
    };
  } catch (err) {
    await dir.remove();
    throw err;
  }
}

async function removeLeftovers(parent: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(parent, name);
    const owner = Number(readIfThere(join(dir, MARKER)).trim());
    if (!owner || alive(owner)) continue;
    // The server's own pid file, its first line: PostgreSQL's in its data folder, MariaDB's where we told it.
    const server = Number((readIfThere(join(dir, 'data', 'postmaster.pid')) || readIfThere(join(dir, 'server.pid'))).split('\n')[0]);
    if (server && alive(server)) {
      try {
        process.kill(server, 'SIGKILL');
      } catch {
        continue; // not ours to stop: leave the folder too
      }
    }
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

function readIfThere(path: string): string {
  try {
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  } catch {
    return '';
  }
}
