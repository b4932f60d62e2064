import { CheckQueue } from '../core/checks/queue.js';
import { onAbort, throwIfAborted } from '../core/errors.js';
import { WorkerPool } from '../core/hash/pool.js';
import { scanFolders } from '../core/inventory/inventory.js';
import type { CopyChecks } from './copies/copy-checks.js';
import { renderInspector } from './render.js';

const ALT_SCREEN_ON = '\u001b[?1049h';
const ALT_SCREEN_OFF = '\u001b[?1049l';

/**
 * Opens the inspector over folders of backups, on the terminal's alternate
 * screen (so quitting gives the shell back as it was), at most ten frames a
 * second and redrawing only the lines that changed.
 */
export async function runInspector(dirs: string[], signal: AbortSignal, copies?: CopyChecks): Promise<number> {
  throwIfAborted(signal);
  const inventory = await scanFolders(dirs);
  const pool = new WorkerPool();
  pool.warm(1); // the first verification should not wait for a thread to start
  const queue = new CheckQueue(pool);
  const restore = () => process.stdout.write(ALT_SCREEN_OFF);
  process.stdout.write(ALT_SCREEN_ON);
  process.once('exit', restore);
  // SIGTERM or SIGHUP's stop: cancel the checks and give the terminal back (Ctrl-C is a key here).
  const removeListener = onAbort(signal, () => {
    queue.cancelAll();
    instance.unmount();
  });
  const instance = renderInspector(inventory, queue, { stdout: process.stdout, stdin: process.stdin, stderr: process.stderr }, copies);
  try {
    await instance.waitUntilExit();
  } finally {
    removeListener();
    queue.cancelAll();
    copies?.close();
    await pool.close();
    restore();
    process.off('exit', restore);
  }
  return 0;
}
