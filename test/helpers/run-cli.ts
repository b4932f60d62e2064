import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/restorable.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The running command, for a test that interrupts it at a chosen moment. */
export interface Running {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  /** what it has printed so far */
  stdout(): string;
  stderr(): string;
}

/** Runs the built CLI as a user would, without a terminal. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; onSpawn?: (kill: (s: NodeJS.Signals) => void, running: Running) => void; as?: string[] } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // `as`: a command to run it through (setpriv, unshare), to run it as another user.
    const [cmd, ...prefix] = [...(opts.as ?? []), process.execPath];
    const child = spawn(cmd!, [...prefix, CLI, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    const kill = (s: NodeJS.Signals) => void child.kill(s);
    opts.onSpawn?.(kill, { pid: child.pid!, kill, stdout: () => stdout, stderr: () => stderr });
  });
}

/**
 * An onSpawn that sends `signal` once `ready` holds (checked every few
 * milliseconds while the command runs): the moment is an event the test can
 * see, never a fixed delay.
 */
export function signalWhen(ready: (running: Running) => boolean, signal: NodeJS.Signals): (kill: (s: NodeJS.Signals) => void, running: Running) => void {
  return (_kill, running) => {
    const poll = setInterval(() => {
      let now = false;
      try {
        now = ready(running);
      } catch {
        now = false;
      }
      if (now) {
        clearInterval(poll);
        running.kill(signal);
      }
    }, 5);
    poll.unref();
    // stop polling once it has gone
    const gone = setInterval(() => {
      try {
        process.kill(running.pid, 0);
      } catch {
        clearInterval(poll);
        clearInterval(gone);
      }
    }, 100);
    gone.unref();
  };
}

/** Whether process `pid` has `path` open (Linux: /proc/PID/fd). */
export function hasOpen(pid: number, path: string): boolean {
  const fds = `/proc/${pid}/fd`;
  return readdirSync(fds).some((fd) => {
    try {
      return readlinkSync(`${fds}/${fd}`) === path;
    } catch {
      return false;
    }
  });
}

/** Parses --json output, insisting that stdout is exactly one JSON document. */
export function parseJsonOutput(run: CliRun): { ok: boolean; results: Array<Record<string, any>>; [k: string]: unknown } {
  return JSON.parse(run.stdout);
}
