import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { join, resolve, sep } from 'node:path';
import type { Status } from '../events/types.js';
import { fsError } from '../errors.js';
import { isBackupName, isChecksumList, manifestFileKind, sidecarsInFolder } from '../manifest/names.js';
import { readResultsFile } from '../manifest/results-file.js';
import { RESULTS_FILE_CHECK, stateOf, type BackupState, type CheckRecord } from '../schedule/strength.js';
import { algorithmHint } from '../manifest/checksum-file.js';
import type { DiscoveryProblem } from '../manifest/discover.js';
import type { Ledger } from '../schedule/ledger.js';

/** One backup as the inspector lists it, before anything is hashed. */
export interface BackupEntry {
  file: string;
  name: string;
  folder: string;
  size: number;
  mtimeMs: number;
  /** manifest kinds found by name: json, sha256, sha512, md5, sha1, b3, blocks, sums */
  manifests: string[];
  /** the folder's results file's entry for it, if any */
  resultsFile?: { status: string; checkedAt: string };
  /** the recorded state when listed: the worst finding no check as strong has cleared, else the latest check (ledger and results file) */
  last?: { status: Status | string; checkedAt: string; check: string; failing: boolean; vouched?: boolean };
}

export interface Inventory {
  folders: string[];
  backups: BackupEntry[];
  problems: DiscoveryProblem[];
}

/** Label of a sidecar by its name. */
function sidecarLabel(sidecar: string): string {
  const kind = manifestFileKind(sidecar);
  if (kind === 'json') return 'json';
  if (kind === 'block-map') return 'blocks';
  const lower = sidecar.toLowerCase();
  return ['sha256', 'sha512', 'sha1', 'md5', 'b3'].find((ext) => lower.includes(`.${ext}`)) ?? 'sums';
}

/** Names listed in a folder-wide checksum list (names only: nothing is validated here). */
function listedNames(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const tag = /^\\?[A-Za-z0-9-]+ ?\((.*)\) ?= ?[0-9a-fA-F]+\s*$/.exec(line);
    const gnu = /^\\?[0-9a-fA-F]+ [ *](.+?)\r?$/.exec(line);
    const name = tag?.[1] ?? gnu?.[1];
    if (name) out.push(name.split('/').pop()!);
  }
  return out;
}

/**
 * A backup's one state from every check kind the ledger knows and the
 * results file's entry (weighed as the weakest kind: another tool may have
 * written it, with a check we cannot weigh).
 */
export function recordedState(records: Record<string, CheckRecord>, resultsFile?: { status: string; checkedAt: string }): BackupState | undefined {
  return stateOf(resultsFile ? { ...records, [RESULTS_FILE_CHECK]: { at: resultsFile.checkedAt, status: resultsFile.status } } : records);
}

async function openLedgerQuietly(stateDir?: string): Promise<Ledger | undefined> {
  const { Ledger, defaultStateDir } = await import('../schedule/ledger.js');
  return Ledger.open(stateDir ?? defaultStateDir(), { create: false }).catch(() => undefined);
}

/** Stats between two turns of the event loop (a signal or a key is never kept waiting long). */
const STAT_BATCH = 256;

/**
 * Lists the backups in folders quickly: one readdir and a stat per backup.
 * Manifests are recognised by name only (their content is read when a
 * backup is opened or verified), so thousands of backups list in well under
 * a second. Each backup's recorded state comes from `ledger` when it is
 * open already, else from the ledger in `stateDir`.
 */
export async function scanFolders(dirs: string[], opts: { stateDir?: string; ledger?: Pick<Ledger, 'records'> } = {}): Promise<Inventory> {
  const ledger = opts.ledger ?? (await openLedgerQuietly(opts.stateDir));
  const folders = dirs.map((d) => resolve(d));
  const backups: BackupEntry[] = [];
  const problems: DiscoveryProblem[] = [];
  for (const folder of folders) {
    let names: string[];
    try {
      names = (await readdir(folder)).sort();
    } catch (err) {
      problems.push({ file: folder, message: fsError(err, folder).message });
      continue;
    }
    const sidecarsOf = sidecarsInFolder(names);
    // `folder` is resolved already: a plain prefix instead of path.join for each of thousands of names.
    const prefix = folder.endsWith(sep) ? folder : `${folder}${sep}`;
    const lists = names.filter(isChecksumList);
    const inLists = new Map<string, string[]>();
    for (const list of lists) {
      const text = await readFile(join(folder, list), 'utf8').catch(() => '');
      const hint = algorithmHint(list);
      const label = hint === 'blake3' ? 'b3' : (hint ?? 'sums');
      for (const n of listedNames(text)) inLists.set(n, [...(inLists.get(n) ?? []), label]);
    }
    const candidates = names.filter((n) => isBackupName(n) || (inLists.has(n) && !manifestFileKind(n)));
    const results = await readResultsFile(folder).catch(() => undefined);
    const lastByName = new Map(results?.results.map((r) => [r.file.split('/').pop()!, r]) ?? []);
    for (let i = 0; i < candidates.length; i += STAT_BATCH) {
      const batch = candidates.slice(i, i + STAT_BATCH);
      // A stat of a local file takes microseconds; through the thread pool and a promise each it
      // took four times as long as the stat itself, the largest part of opening a big folder.
      if (i > 0) await yieldToEvents();
      batch.forEach((name) => {
        const file = `${prefix}${name}`;
        const s = statSync(file, { throwIfNoEntry: false });
        if (!s?.isFile()) return;
        const manifests = new Set(sidecarsOf(name).map(sidecarLabel));
        for (const label of inLists.get(name) ?? []) manifests.add(label);
        const fromFile = lastByName.get(name);
        const resultsFile = fromFile && { status: fromFile.status, checkedAt: fromFile.checked_at };
        const state = recordedState(ledger?.records(file) ?? {}, resultsFile);
        backups.push({
          file,
          name,
          folder,
          size: s.size,
          mtimeMs: s.mtimeMs,
          manifests: [...manifests].sort(),
          resultsFile,
          last: state && { status: state.status, checkedAt: state.at, check: state.check, failing: state.failing, vouched: state.vouched },
        });
      });
    }
  }
  return { folders, backups, problems };
}
