#!/usr/bin/env node
// `npm run bench [-- options]`: the engine benchmarks (run.mjs), then the
// inspector's (inspector.mjs), the deep check's (deep.mjs), the storage
// locations' (locations.mjs), many copies at network latency and egress (latency.mjs), salvage's (salvage.mjs), compare's (compare.mjs) and the restore drill's (drill.mjs), with the
// options they share passed on.
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
const deepShared = shared.filter((a, i) => shared[i - 1] !== '--size' && a !== '--size');
const deep = run('./deep.mjs', deepShared);
const locations = run('./locations.mjs', deepShared);
const latency = run('./latency.mjs', deepShared);
const salvage = run('./salvage.mjs', deepShared);
const compare = run('./compare.mjs', deepShared);
const drill = run('./drill.mjs', deepShared.filter((a, i) => deepShared[i - 1] !== '--dir' && a !== '--dir'));
process.exit(engine || inspector || deep || locations || latency || salvage || compare || drill);
