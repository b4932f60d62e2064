import { jsonText } from '../output/format.js';
import type { Command } from 'commander';
import { displayPath } from '../output/format.js';
import { openSession } from './session.js';
import { verifyPaths } from './verify.js';
import { canInspect, inspect } from './inspect.js';

interface DemoFlags {
  open: boolean;
  json?: boolean;
}

export const DEFAULT_DEMO_DIR = 'restorable-demo';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('write a demo backup set (healthy, corrupted, truncated, no manifest, a dump) and open the inspector on it (in a terminal) or verify it')
    .argument('[dir]', 'where to write it', DEFAULT_DEMO_DIR)
    .option('--no-open', 'only write the set and print its path')
    .option('--json', 'print what was written as one JSON document')
    .action(async (dir: string, flags: DemoFlags) => {
      // The archive writer is only needed here: load it on demand.
      const { describeDemo, writeDemoSet } = await import('../core/demo/demo-set.js');
      const session = openSession();
      let set;
      try {
        set = await writeDemoSet(dir, session.pool);
      } finally {
        await session.close();
      }
      if (flags.json) {
        process.stdout.write(jsonText(set));
        return;
      }
      if (!flags.open) {
        process.stdout.write(`${set.dir}\n`);
        return;
      }
      if (canInspect()) {
        process.exitCode = await inspect([set.dir]);
        return;
      }
      process.stdout.write(`Demo backup set written to ${displayPath(set.dir)}:\n${describeDemo(set)}\n\nVerifying it, as \`restorable verify ${displayPath(set.dir)}\` would:\n\n`);
      const code = await verifyPaths([set.dir], {});
      // The failures are planted: the demo itself succeeded if verify found them.
      process.stdout.write(`\n(exit code ${code}: the demo plants these failures on purpose)\n`);
    });
}
