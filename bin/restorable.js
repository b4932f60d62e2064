#!/usr/bin/env node
// Ctrl-C and SIGTERM are caught from the first moment: one that comes while
// the program loads is handed to it, so an interrupted start still exits 130.
let early = 0;
const count = () => early++;
process.on('SIGINT', count);
process.on('SIGTERM', count);
// The commands that hash start their first hash thread now, so that it boots
// while the rest of the program loads (about 150 ms here) instead of after.
let worker;
if (['verify', 'manifest', 'blocks'].includes(process.argv[2])) {
  const { Worker } = await import('node:worker_threads');
  worker = new Worker(new URL('../dist/worker.js', import.meta.url));
  worker.unref();
  // A thread that cannot start is not used; the program starts its own and reports why.
  worker.once('error', () => (worker.failedEarly = true));
}
const { main } = await import('../dist/cli.js');
process.off('SIGINT', count);
process.off('SIGTERM', count);
await main(early, worker);
