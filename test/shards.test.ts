import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/fixtures.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';

/**
 * Shards that add up: N processes on loopback share one state folder, each
 * writing its own ledger segment; the last to finish merges them and makes
 * the one alert decision. The merged state is compared with that of one
 * unsharded run over the same backups.
 */

const posts: { path: string; text: string }[] = [];
let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', text });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** What `status --json` says of each backup and copy, without the times. */
async function states(stateDir: string): Promise<Record<string, unknown>> {
  const run = await runCli(['status', '--state-dir', stateDir, '--json']);
  const doc = JSON.parse(run.stdout) as { backups: { backup: string; state: { status: string; check: string; failing: boolean }; copies: { location: string; state: { status: string; check: string } }[] }[] };
  return Object.fromEntries(doc.backups.map((b) => [b.backup, { status: b.state.status, check: b.state.check, failing: b.state.failing, copies: b.copies.map((c) => `${c.location}:${c.state.status}:${c.state.check}`).sort() }]));
}

const failingIn = (text: string, names: string[]) => names.filter((n) => text.includes(n)).sort();

describe('sharded runs', () => {
  it('three scan shards and three locations shards in parallel add up to one unsharded run: one state, one alert', async () => {
    const demo = join(tempDir(), 'demo');
    const set = JSON.parse((await runCli(['demo', demo, '--json'])).stdout) as { backups: { file: string }[] };
    const names = set.backups.map((b) => b.file.split('/').pop()!);
    const config = join(tempDir(), 'tiers.yaml');
    writeFileSync(config, 'tiers:\n  every: { check: hash }\n');
    const mirror = join(tempDir(), 'mirror');
    const { cpSync } = await import('node:fs');
    cpSync(demo, mirror, { recursive: true });

    const one = tempDir();
    const many = tempDir();
    const scan = (state: string, hook: string, extra: string[] = []) => runCli(['scan', demo, '--tier', 'every', '--config', config, '--state-dir', state, '--webhook', `${url}/${hook}`, '--json', ...extra]);
    const locations = (state: string, hook: string, extra: string[] = []) => runCli(['locations', demo, '--location', `mirror=${mirror}`, '--all', '--state-dir', state, '--webhook', `${url}/${hook}`, '--json', ...extra]);

    const whole = await scan(one, 'one');
    expect(whole.code).toBe(1);
    expect((await locations(one, 'one')).code).toBe(1);
    const parts = await Promise.all([1, 2, 3].map((i) => scan(many, 'many', ['--shard', `${i}/3`])));
    const checked = parts.flatMap((p) => parseJsonOutput(p).results.map((r) => r.file as string));
    // Every backup checked by exactly one shard.
    expect(checked.sort()).toEqual(parseJsonOutput(whole).results.map((r) => r.file as string).sort());
    await Promise.all([1, 2, 3].map((i) => locations(many, 'many', ['--shard', `${i}/3`])));

    // The last shard of each round merged every segment.
    expect(existsSync(join(many, 'ledger.json'))).toBe(true);
    expect(readdirSync(join(many, 'ledger.d')).filter((n) => n.endsWith('.json'))).toEqual([]);
    expect(await states(many)).toEqual(await states(one));

    // One alert per round from the shards, as from the unsharded runs, naming the same backups.
    const from = (path: string) => posts.filter((p) => p.path === path).map((p) => p.text);
    expect(from('/one')).toHaveLength(2);
    expect(from('/many')).toHaveLength(2);
    expect(failingIn(from('/many').join('\n'), names)).toEqual(failingIn(from('/one').join('\n'), names));
    expect(failingIn(from('/many').join('\n'), names).length).toBeGreaterThan(0);

    // The next round alerts nothing new, sharded or not.
    await Promise.all([1, 2, 3].map((i) => scan(many, 'many', ['--shard', `${i}/3`])));
    expect(from('/many')).toHaveLength(2);
  });

  it('status reads segments not yet merged; ledger merge waits for every shard, or merges what there is', async () => {
    const demo = join(tempDir(), 'demo');
    await runCli(['demo', demo, '--json']);
    const config = join(tempDir(), 'tiers.yaml');
    writeFileSync(config, 'tiers:\n  every: { check: hash }\n');
    const state = tempDir();
    for (const i of [1, 2]) await runCli(['scan', demo, '--tier', 'every', '--config', config, '--state-dir', state, '--shard', `${i}/3`]);
    expect(readdirSync(join(state, 'ledger.d')).filter((n) => n.endsWith('.json')).sort()).toEqual(['shard-1-of-3.json', 'shard-2-of-3.json']);
    const seen = Object.keys(await states(state)).length;
    expect(seen).toBeGreaterThan(0);

    const waiting = await runCli(['ledger', 'merge', '--state-dir', state, '--shards', '3']);
    expect(waiting.code).toBe(2);
    expect(waiting.stdout).toBe('not merged: waiting for shard-3-of-3\n');
    const merged = await runCli(['ledger', 'merge', '--state-dir', state]);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe('merged 2 segments (shard-1-of-3, shard-2-of-3) into the ledger\n');
    expect(Object.keys(await states(state)).length).toBe(seen);
    expect((await runCli(['ledger', 'merge', '--state-dir', state])).stdout).toBe('no ledger segments to merge\n');
  });
});
