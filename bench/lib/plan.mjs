// What run.mjs measures: comparisons a–e (f, peak memory, is memory.mjs), each
// a group of commands with the ratios to check between them, and the test
// file names they use.
import { join } from 'node:path';
import { dataFileName } from './data-file.mjs';
import { BASELINES, CLI, NODE } from './paths.mjs';
import { MiB } from './sizes.mjs';

export const BLOCK_SIZE = 1 * MiB; // restorable's default block size

/** The test file and its checksum files, relative to opts.dir (the cwd of every command). */
export function fileNames(size) {
  const data = dataFileName(size);
  return { data, sha256: `${data}.sha256`, b3: `${data}.b3`, blocks: `${data}.blocks.json` };
}

const R = (...args) => [NODE, CLI, ...args];
const B = (script, ...args) => [NODE, join(BASELINES, script), ...args];

// key: how checks name it; tool: skipped when that is not installed; expect:
// the warm-up round checks that its stdout holds that digest of the file.
// needs: the checksum files to prepare; requires: skip the group without it.
function allGroups(tools, F) {
  return [
    {
      id: 'sha256',
      title: 'a. sha256 of a checksum file',
      needs: ['sha256'],
      commands: [
        { key: 'r-sha256', label: 'restorable verify FILE.sha256', argv: R('verify', F.sha256) },
        { key: 'openssl', label: 'openssl dgst -sha256 FILE', argv: [tools.openssl, 'dgst', '-sha256', F.data], tool: 'openssl', expect: 'sha256' },
        { key: 'sha256sum', label: 'sha256sum FILE', argv: [tools.sha256sum, F.data], tool: 'sha256sum', expect: 'sha256' },
      ],
      checks: [
        { label: 'restorable / openssl', num: 'r-sha256', den: 'openssl', op: '<=', target: 1.05 },
        { label: 'sha256sum / restorable', num: 'sha256sum', den: 'r-sha256', op: '>=', target: 4 },
      ],
    },
    {
      id: 'multi',
      title: 'b. md5 + sha256 + sha512 manifest',
      needs: [],
      commands: [
        { key: 'r-multi', label: 'restorable manifest FILE --algo md5,sha256,sha512 --force', argv: R('manifest', F.data, '--algo', 'md5,sha256,sha512', '--force') },
        { key: 'three-seq', label: 'baseline three-sequential.mjs FILE', argv: B('three-sequential.mjs', F.data), expect: 'sha256' },
      ],
      checks: [{ label: 'restorable / three sequential', num: 'r-multi', den: 'three-seq', op: '<=', target: 0.5 }],
    },
    {
      id: 'blockmap',
      title: 'c. block map + whole-file sha256',
      needs: [],
      commands: [
        { key: 'r-blockmap', label: 'restorable manifest FILE --blocks --force', argv: R('manifest', F.data, '--blocks', '--force') },
        { key: 'two-pass', label: 'baseline two-pass.mjs FILE', argv: B('two-pass.mjs', F.data, '--block-size', String(BLOCK_SIZE)), expect: 'sha256' },
      ],
      checks: [{ label: 'restorable / two passes', num: 'r-blockmap', den: 'two-pass', op: '<=', target: 0.6 }],
    },
    {
      id: 'threads',
      title: 'd. block verification with worker threads',
      needs: ['blocks'],
      commands: [
        { key: 'r-blocks', label: 'restorable blocks FILE', argv: R('blocks', F.data) },
        { key: 'r-blocks-1', label: 'restorable blocks FILE --threads 1', argv: R('blocks', F.data, '--threads', '1') },
      ],
      checks: [{ label: 'speed-up (--threads 1 / default)', num: 'r-blocks-1', den: 'r-blocks', op: '>=', target: 1.7 }],
    },
    {
      id: 'limit',
      title: 'g. block maps at the two-core limit (measured in process, bytes in memory)',
      needs: ['blocks'],
      commands: [
        { key: 'r-blocks-all', label: 'restorable blocks FILE', argv: R('blocks', F.data) },
        { key: 'limit-blocks', label: 'limit: sha256 of the file ‖ of each block', inProcess: 'blocks' },
        { key: 'r-manifest-blocks', label: 'restorable manifest FILE --blocks --force', argv: R('manifest', F.data, '--blocks', '--force') },
        { key: 'limit-manifest', label: 'limit: that, CRC64NVME and CRC32C', inProcess: 'manifest' },
      ],
      checks: [
        { label: 'blocks / two-core limit', num: 'r-blocks-all', den: 'limit-blocks', op: '<=', target: 1.3 },
        { label: 'manifest --blocks / two-core limit', num: 'r-manifest-blocks', den: 'limit-manifest', op: '<=', target: 1.3 },
      ],
    },
    {
      id: 'blake3',
      title: 'e. blake3 (informational)',
      needs: ['b3'],
      requires: 'b3sum',
      commands: [
        { key: 'r-b3', label: 'restorable verify FILE.b3', argv: R('verify', F.b3) },
        { key: 'b3sum', label: 'b3sum FILE', argv: [tools.b3sum, F.data], tool: 'b3sum', expect: 'b3' },
      ],
      checks: [{ label: 'restorable / b3sum', num: 'r-b3', den: 'b3sum', op: 'info' }],
    },
  ];
}

/**
 * The groups --only asks for, with what cannot run marked `skipped` (and a
 * note for each missing tool pushed to `notes`), each command's `times` empty.
 */
export function buildPlan(opts, tools, F, notes) {
  const groups = allGroups(tools, F).filter((g) => !opts.only || opts.only.has(g.id));
  for (const g of groups) {
    if (g.requires && !tools[g.requires]) g.skipped = `skipped: ${g.requires} is not installed`;
    for (const c of g.commands) {
      if (c.tool && !tools[c.tool]) {
        c.skipped = `${c.tool} not installed`;
        notes.push(`${c.tool} is not installed; its measurements are skipped`);
      }
      c.times = [];
    }
  }
  return groups;
}
