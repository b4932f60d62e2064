// Where things are: the repo, the CLI under test, the baseline scripts and the
// node that runs them all.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const CLI = join(REPO, 'bin', 'restorable.js');
export const BASELINES = join(REPO, 'bench', 'baselines');
export const NODE = process.execPath;
/** Where test files live unless --dir says otherwise (gitignored). */
export const DEFAULT_DIR = join(REPO, '.bench');
