import { CheckQueue } from '../../src/core/checks/queue.js';
import { WorkerPool } from '../../src/core/hash/pool.js';
import { scanFolders } from '../../src/core/inventory/inventory.js';
import { renderInspector } from '../../src/ui/render.js';
import { VirtualTerminal } from '../../tools/virtual-terminal.js';

/** The inspector on a virtual terminal (80x24 unless told), as a person would see it. */
export async function openInspector(dirs: string[], size: { columns?: number; rows?: number } = {}) {
  const vt = new VirtualTerminal(size.columns ?? 80, size.rows ?? 24);
  const inventory = await scanFolders(dirs);
  const pool = new WorkerPool(2);
  const queue = new CheckQueue(pool);
  const instance = renderInspector(inventory, queue, { stdout: vt.stdout as unknown as NodeJS.WriteStream, stdin: vt.stdin as unknown as NodeJS.ReadStream });
  await vt.settle();
  /** Waits until the screen shows `pattern` (or fails after `ms`). */
  const waitFor = async (pattern: RegExp | string, ms = 10_000): Promise<string> => {
    const until = Date.now() + ms;
    for (;;) {
      await vt.settle(50);
      const text = vt.text();
      if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
      if (Date.now() > until) throw new Error(`screen never showed ${String(pattern)}; it shows:\n${text}`);
    }
  };
  return {
    vt,
    queue,
    instance,
    waitFor,
    async close() {
      instance.unmount();
      queue.cancelAll();
      await pool.close();
    },
  };
}
