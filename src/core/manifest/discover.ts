import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { RestorableError, fsError } from '../errors.js';
import { loadManifest } from './load.js';
import type { Expectation } from './model.js';
import { BLOCK_MAP_SUFFIX, isBackupName, isChecksumList, manifestFileKind, sidecarNames, sidecarOwnerCandidates } from './names.js';

/** One backup to check and everything the manifests say about it. */
export interface Target {
  file: string;
  expectations: Expectation[];
  /** block maps read only if needed, to locate damage when the listed manifest fails */
  locators: string[];
  /** sidecars named for this backup that describe another file ("x.sha256: describes y, not this file") */
  strangers?: string[];
}

/** A path or manifest that could not be read; reported as an `error` result. */
export interface DiscoveryProblem {
  file: string;
  message: string;
}

export interface Discovery {
  targets: Target[];
  problems: DiscoveryProblem[];
}

/**
 * Turns command-line paths into targets:
 *  - a folder: every backup in it, with every manifest found there;
 *  - a manifest (SHA256SUMS, x.sha256, x.manifest.json, x.blocks.json): every
 *    entry it lists, like `sha256sum -c`;
 *  - any other file: that backup, with its sidecars and the folder's lists.
 */
export async function discover(paths: string[]): Promise<Discovery> {
  const byFile = new Map<string, Target>();
  const problems: DiscoveryProblem[] = [];
  const target = (file: string) => {
    let t = byFile.get(file);
    if (!t) byFile.set(file, (t = { file, expectations: [], locators: [] }));
    return t;
  };
  const load = async (manifest: string, names?: readonly string[]) => {
    try {
      const entries = await loadManifest(manifest, names);
      for (const e of entries) {
        if (e.refused) problems.push({ file: manifest, message: `${manifest}: ${e.line ? `line ${e.line}: ` : ''}${e.refused}` });
      }
      return entries.filter((e) => e.file);
    } catch (err) {
      if (!(err instanceof RestorableError)) throw err;
      problems.push({ file: manifest, message: err.message });
      return [];
    }
  };

  for (const input of paths) {
    const path = resolve(input);
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      problems.push({ file: path, message: fsError(err, path).message });
      continue;
    }
    if (info.isDirectory()) {
      await discoverFolder(path, target, load, problems);
    } else if (manifestFileKind(basename(path))) {
      for (const e of await load(path)) {
        const t = target(e.file!);
        t.expectations.push(e);
        if (e.kind !== 'block-map') await addLocator(t);
      }
    } else {
      const names = await listFolder(dirname(path), problems);
      const t = target(path);
      for (const manifest of candidateManifests(basename(path), names)) {
        const entries = await load(join(dirname(path), manifest), names);
        const mine = entries.filter((e) => e.file === path);
        t.expectations.push(...mine);
        if (mine.length === 0 && entries.length > 0 && !isChecksumList(manifest)) noteStranger(t, join(dirname(path), manifest), entries);
      }
    }
  }
  for (const t of byFile.values()) dedupeExpectations(t);
  const targets = [...byFile.values()].sort((a, b) => a.file.localeCompare(b.file));
  return { targets, problems };
}

type Loader = (manifest: string, names?: readonly string[]) => Promise<Expectation[]>;

async function listFolder(folder: string, problems: DiscoveryProblem[]): Promise<string[]> {
  try {
    return (await readdir(folder)).sort();
  } catch (err) {
    problems.push({ file: folder, message: fsError(err, folder).message });
    return [];
  }
}

/** Sidecars of `name` that exist, then the folder-wide lists. */
function candidateManifests(name: string, names: readonly string[]): string[] {
  const present = new Set(names);
  return [...sidecarNames(name).filter((n) => present.has(n)), ...names.filter(isChecksumList)];
}

async function discoverFolder(folder: string, target: (file: string) => Target, load: Loader, problems: DiscoveryProblem[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (err) {
    problems.push({ file: folder, message: fsError(err, folder).message });
    return;
  }
  const names = entries.map((e) => e.name).sort();
  for (const e of entries) {
    if (e.isFile() && isBackupName(e.name)) target(join(folder, e.name));
  }
  for (const name of names) {
    if (name.startsWith('.') || !manifestFileKind(name)) continue;
    const entries = await load(join(folder, name), names);
    for (const e of entries) target(e.file!).expectations.push(e);
    // A sidecar named for one backup that lists only others: say so on that backup.
    if (isChecksumList(name)) continue;
    for (const owner of sidecarOwnerCandidates(name, names)) {
      const file = join(folder, owner);
      if (entries.length > 0 && !entries.some((e) => e.file === file)) noteStranger(target(file), join(folder, name), entries);
    }
  }
}

function noteStranger(t: Target, manifest: string, entries: Expectation[]): void {
  const listed = [...new Set(entries.map((e) => basename(e.file!)))];
  (t.strangers ??= []).push(`${manifest} describes ${listed.slice(0, 3).join(', ')}${listed.length > 3 ? ', …' : ''}, not this file`);
}

async function addLocator(t: Target): Promise<void> {
  const mapPath = `${t.file}${BLOCK_MAP_SUFFIX}`;
  if (t.locators.includes(mapPath)) return;
  if (await stat(mapPath).then((s) => s.isFile(), () => false)) t.locators.push(mapPath);
}

/** The same manifest reached twice (a file given along with its folder) counts once. */
function dedupeExpectations(t: Target): void {
  const seen = new Set<string>();
  t.expectations = t.expectations.filter((e) => {
    const key = `${e.manifest}:${e.line ?? 0}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
