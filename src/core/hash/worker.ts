/**
 * A hash worker thread. It owns no policy: it hashes what the engine points
 * it at and reports digests back. See protocol.ts for the messages.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.js';
import { runBlocks } from './worker-blocks.js';
import { runStream } from './worker-stream.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const post = (msg: FromWorker) => port.postMessage(msg);

port.on('message', (msg: ToWorker) => {
  void (async () => {
    try {
      if (msg.type === 'stream') await runStream(msg, post);
      else runBlocks(msg, post);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      post({ type: 'error', job: msg.job, message: e?.message ?? String(err), code: e?.code });
    }
  })();
});
