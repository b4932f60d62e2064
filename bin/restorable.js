#!/usr/bin/env node
// Ctrl-C and SIGTERM are caught from the first moment: one that comes while
// the program loads is handed to it, so an interrupted start still exits 130.
let early = 0;
const count = () => early++;
process.on('SIGINT', count);
process.on('SIGTERM', count);
const { main } = await import('../dist/cli.js');
process.off('SIGINT', count);
process.off('SIGTERM', count);
await main(early);
