import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manyBackups, tempDir } from './helpers/fixtures.js';
import { CLI, runCli, signalWhen } from './helpers/run-cli.js';
import { runTool } from './helpers/tools.js';

/** Memory stays flat, and cost grows linearly, whatever the number of backups. */

/** Runs the CLI and returns its exit status and peak resident memory in MiB (the kernel's count, through Python's getrusage). */
function peakRss(args: string[]): { status: number; mib: number } {
  const script = `import resource, subprocess, sys, json\nr = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nprint(json.dumps({"status": r.returncode, "kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))`;
  const out = JSON.parse(runTool('python3', ['-c', script, process.execPath, CLI, ...args]).stdout) as { status: number; kib: number };
  return { status: out.status, mib: out.kib / 1024 };
}

describe('many small backups', () => {
  it('manifest --blocks over 800 files stays under 200 MiB (a 16 MiB buffer per file grew to gigabytes)', () => {
    const { files } = manyBackups(800, 16 * 1024);
    const run = peakRss(['manifest', '--blocks', '--force', ...files]);
    expect(run.status).toBe(0);
    expect(run.mib).toBeLessThan(200);
    expect(JSON.parse(readFileSync(`${files[799]}.blocks.json`, 'utf8')).total_blocks).toBe(1);
  });

  it('a scan over 3,000 backups listed in one SHA256SUMS stays under 200 MiB (the list was read again for each backup)', () => {
    const { dir } = manyBackups(3000, 64);
    const config = join(tempDir(), 'all.json');
    writeFileSync(config, JSON.stringify({ tiers: { all: { check: 'hash' } } }));
    const state = tempDir();
    const run = peakRss(['scan', dir, '--tier', 'all', '--config', config, '--state-dir', state]);
    expect(run.status).toBe(0);
    expect(run.mib).toBeLessThan(200);
    expect(Object.keys(JSON.parse(readFileSync(join(state, 'ledger.json'), 'utf8')).backups)).toHaveLength(3000);
  });

  it('an interrupted scan keeps in the ledger every result it printed (the ledger is written in batches)', async () => {
    const { dir } = manyBackups(1500, 64);
    const config = join(tempDir(), 'all.json');
    writeFileSync(config, JSON.stringify({ tiers: { all: { check: 'hash' } } }));
    const state = tempDir();
    const run = await runCli(['scan', dir, '--tier', 'all', '--config', config, '--state-dir', state], {
      onSpawn: signalWhen((p) => (p.stdout().match(/verified/g) ?? []).length >= 20, 'SIGTERM'),
    });
    expect(run.code).toBe(130);
    const printed = (run.stdout.match(/verified/g) ?? []).length;
    const recorded = Object.keys(JSON.parse(readFileSync(join(state, 'ledger.json'), 'utf8')).backups).length;
    expect(recorded).toBeGreaterThanOrEqual(printed);
    expect(recorded).toBeLessThan(1500);
  });
});
