import { onAbort, throwIfAborted } from '../core/errors.js';
import { WorkerPool } from '../core/hash/pool.js';
import type { CopyChecks } from './copies/copy-checks.js';
import { InspectorSession } from './session/inspector-session.js';

const ALT_SCREEN_ON = '\u001b[?1049h';
const ALT_SCREEN_OFF = '\u001b[?1049l';

/**
 * Opens the inspector over folders of backups, on the terminal's alternate
 * screen (so quitting gives the shell back as it was), at most ten frames a
 * second and redrawing only the lines that changed.
 */
export async function runInspector(dirs: string[], signal: AbortSignal, opts: { stateDir: string; copies?: CopyChecks; focus?: string; runAs?: string }): Promise<number> {
  throwIfAborted(signal);
  // Ink, React and Yoga take longer to load than a folder of thousands of backups takes to
  // list: load them while the folders are read.
  const loading = import('./render.js');
  const pool = new WorkerPool();
  pool.warm(1); // the first verification should not wait for a thread to start
  const [session, { renderInspector }] = await Promise.all([InspectorSession.open(dirs, { pool, stateDir: opts.stateDir, copies: opts.copies, focus: opts.focus, runAs: opts.runAs }), loading]);
  const sizes = new AbortController();
  const restore = () => process.stdout.write(ALT_SCREEN_OFF);
  process.stdout.write(ALT_SCREEN_ON);
  process.once('exit', restore);
  // SIGTERM or SIGHUP's stop: cancel the checks and give the terminal back (Ctrl-C is a key here).
  const removeListener = onAbort(signal, () => {
    session.close();
    instance.unmount();
  });
  const instance = renderInspector(session, { stdout: process.stdout, stdin: process.stdin, stderr: process.stderr });
  // The cheap size check of every backup, once the first frame is out.
  const checked = session.checkSizes(sizes.signal).catch(() => {});
  try {
    await instance.waitUntilExit();
  } finally {
    removeListener();
    sizes.abort();
    session.close();
    await checked;
    await session.flush();
    await pool.close();
    restore();
    process.off('exit', restore);
  }
  return 0;
}
