import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseJsonOutput, runCli } from './run-cli.js';

/** Database servers never run as root: as root (CI), every drill and every source server runs as `nobody`. */
export const asRoot = process.getuid?.() === 0;
export const sourceUser = asRoot ? 'nobody' : undefined;

/**
 * A test file's drills, in a folder of its own (open to the drill's user):
 * what one file's drills leave behind, or kill, is not another's when files
 * run side by side; fixtures (dumps, ledgers) in `dir`.
 */
export function drillBench() {
  const drills = mkdtempSync(join(tmpdir(), 'restorable-drills-'));
  chmodSync(drills, 0o755);
  const dir = mkdtempSync(join(tmpdir(), 'restorable-drill-test-'));
  const args = [...(asRoot ? ['--run-as', 'nobody'] : []), '--temp-dir', drills];
  const dirs = () => readdirSync(drills).sort();
  /** A ledger of the test's own (a drill is held to the last one of its series). */
  const freshState = () => mkdtempSync(join(dir, 'state-'));
  return {
    drills,
    dir,
    /** --run-as (as root) and --temp-dir, for every drill this file runs */
    args,
    dirs,
    freshState,
    async drillJson(file: string, opts: { env?: NodeJS.ProcessEnv; state?: string; args?: string[] } = {}) {
      const run = await runCli(['drill', file, ...args, '--state-dir', opts.state ?? freshState(), '--json', ...(opts.args ?? [])], { env: opts.env });
      return { run, result: parseJsonOutput(run).results[0]! };
    },
    /** Removes the fixtures, after checking no drill left a folder behind. */
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      expect(dirs()).toEqual([]);
      rmSync(drills, { recursive: true, force: true });
    },
  };
}
