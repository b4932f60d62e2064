#!/usr/bin/env node
// `npm run bench [-- options]`: the engine benchmarks (run.mjs), then the
// inspector's (inspector.mjs), with the options they share passed to both.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const run = (script, argv) => spawnSync(process.execPath, [here(script), ...argv], { stdio: 'inherit' }).status ?? 1;

const engine = run('./run.mjs', args);
if (args.includes('--help') || args.includes('-h') || engine === 2 || engine === 130) process.exit(engine);
const shared = [];
for (const name of ['--size', '--runs', '--dir']) {
  const at = args.indexOf(name);
  if (at >= 0 && args[at + 1] !== undefined) shared.push(name, args[at + 1]);
}
if (args.includes('--markdown')) shared.push('--markdown');
const inspector = run('./inspector.mjs', shared);
process.exit(engine || inspector);
