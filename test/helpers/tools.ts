import { spawnSync } from 'node:child_process';

export interface ToolRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a system tool (sha256sum, minisign, tar…) and returns its exit status
 * and output, whatever the status. A tool that cannot start fails the test
 * with the reason (not installed, not executable), never as a status of null.
 */
export function runTool(cmd: string, args: string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): ToolRun {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input ?? '', env: opts.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message} (.ci/run installs the tools the tests use)`);
  if (r.status === null) throw new Error(`${cmd} ${args.join(' ')} was killed by ${r.signal}; stderr: ${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A tool's standard output as bytes (a compressor writing to stdout); it must succeed. */
export function toolBytes(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message} (.ci/run installs the tools the tests use)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}
