import { readFileSync } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { RestorableError, fsError, isFsError } from '../errors.js';

/**
 * Lock files in the state folder: the ledger's (held for the moment of a
 * save, waited for) and the scan's (held for a whole scan, never waited
 * for). A lock names its owner: host, pid and the process's start time, so
 * a pid reused by another process does not keep a dead owner's lock alive.
 * A stale lock is taken over under a second lock (`.takeover`), so two
 * processes can never both take over the same stale lock and both run.
 */

interface Owner {
  host: string;
  pid: number;
  /** the process's start, in clock ticks since boot (Linux), or a wall-clock estimate */
  start: string;
}

/** This process's start time as the kernel records it: a pid and this identify one process. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces) in parentheses; starttime is the 22nd.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const me: Owner = { host: hostname(), pid: process.pid, start: startOf(process.pid) ?? String(Math.round(Date.now() - process.uptime() * 1000)) };

function alive(owner: Owner): boolean {
  if (owner.host !== me.host) return true; // another machine's process cannot be seen from here
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = startOf(owner.pid);
  return start === undefined || start === owner.start;
}

async function readOwner(path: string): Promise<{ owner?: Owner; text: string; ageMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let owner: Owner | undefined;
    try {
      const v = JSON.parse(text) as Owner;
      if (typeof v.pid === 'number' && typeof v.host === 'string') owner = v;
    } catch {
      // older lock files held a bare pid; an empty one is being written right now
      const pid = Number(text.trim());
      if (pid > 0) owner = { host: me.host, pid, start: startOf(pid) ?? '' };
    }
    return { owner, text, ageMs: Date.now() - info.mtimeMs };
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return undefined;
    throw fsError(err, path);
  }
}

/** Tries once: our release function, or the live owner that holds it. */
async function tryLock(path: string): Promise<{ release: () => Promise<void> } | { heldBy: Owner }> {
  for (;;) {
    try {
      const h = await open(path, 'wx');
      await h.writeFile(JSON.stringify(me));
      await h.close();
      return { release: async () => void (await unlink(path).catch(() => {})) };
    } catch (err) {
      if (!isFsError(err, 'EEXIST')) throw fsError(err, path);
    }
    const seen = await readOwner(path);
    if (!seen) continue; // released meanwhile
    // A lock being written (no owner yet) is young: treat it as held.
    if (!seen.owner && seen.ageMs < 10_000) return { heldBy: { host: me.host, pid: 0, start: '' } };
    if (seen.owner && alive(seen.owner)) return { heldBy: seen.owner };
    await takeOver(path, seen.text);
  }
}

/** Removes a stale lock, once, under the takeover lock: the content judged stale must still be there. */
async function takeOver(path: string, staleText: string): Promise<void> {
  const guard = `${path}.takeover`;
  let h;
  try {
    h = await open(guard, 'wx');
  } catch (err) {
    if (!isFsError(err, 'EEXIST')) throw fsError(err, guard);
    // Another process is taking it over; a guard left by a crash is removed after a while.
    const left = await readOwner(guard);
    if (left && left.ageMs > 30_000) await unlink(guard).catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    return;
  }
  try {
    const now = await readOwner(path);
    if (now && now.text === staleText) await unlink(path).catch(() => {});
  } finally {
    await h.close();
    await unlink(guard).catch(() => {});
  }
}

function describe(owner: Owner): string {
  return owner.pid ? `pid ${owner.pid}${owner.host !== me.host ? ` on ${owner.host}` : ''}` : 'a process starting';
}

/** One scan at a time per state folder: a second one is refused at once, naming the first. */
export async function acquireScanLock(stateDir: string, shard?: string): Promise<() => Promise<void>> {
  // Each shard of a sharded scan has a lock of its own: N runners share the folder, never the same shard.
  const path = `${stateDir}/${shard ? `scan-${shard}` : 'scan'}.lock`;
  const got = await tryLock(path);
  if ('heldBy' in got) throw new RestorableError(`${path}: another scan${shard ? ` of ${shard}` : ''} is running (${describe(got.heldBy)}); not starting a second one`);
  return got.release;
}

/** Runs `fn` holding the lock at `path`, waiting (up to `waitMs`) while a live process holds it. */
export async function withLock<T>(path: string, fn: () => Promise<T>, waitMs = 60_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(200, pause * 2)) {
    const got = await tryLock(path);
    if ('release' in got) {
      try {
        return await fn();
      } finally {
        await got.release();
      }
    }
    if (Date.now() > deadline) throw new RestorableError(`${path}: held by ${describe(got.heldBy)} for more than ${Math.round(waitMs / 1000)} s; is it stuck?`);
    await new Promise((r) => setTimeout(r, pause + Math.random() * pause));
  }
}
