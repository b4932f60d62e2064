import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { RestorableError, fsError } from '../errors.js';
import { makeTempDir } from '../temp-paths.js';
import { discover, type DiscoveryProblem, type Target } from '../manifest/discover.js';
import { MAX_MANIFEST_BYTES, loadManifest } from '../manifest/load.js';
import { archiveStem, manifestFileKind, sidecarNames } from '../manifest/names.js';
import type { CheckResult } from '../events/types.js';
import type { Location, ObjectInfo, ReadOptions } from '../storage/location.js';
import type { BackupRef } from './check-copies.js';

/**
 * Where the truth about each backup comes from: the manifests beside local
 * copies (PATH arguments), or a separate manifest location (a folder or a
 * bucket an attacker who can write the backups cannot), downloaded to a
 * temp folder that is removed afterwards.
 */

export interface ReferencedBackup {
  ref: BackupRef;
  /** the folder on this machine that holds a copy (PATH arguments) */
  localRoot?: string;
  /** newest of the local copy's mtime and the manifest's creation time (ms) */
  time: number;
  /** named on the command line: checked whatever its age */
  explicit: boolean;
}

export interface References {
  backups: ReferencedBackup[];
  problems: DiscoveryProblem[];
  /** a manifest path as users should read it (not the temp copy of one in a bucket) */
  display(path: string): string;
  cleanup(): Promise<void>;
}

const asIs = (path: string) => path;

/** A result as users should read it: manifest paths and messages name where the manifests really are. */
export function displayResult(result: CheckResult, display: (path: string) => string): CheckResult {
  result.manifests = result.manifests.map((m) => ({ ...m, path: display(m.path) }));
  for (const f of result.findings) f.message = display(f.message);
  if (result.signatures) result.signatures = result.signatures.map((s) => ({ ...s, manifest: display(s.manifest) }));
  return result;
}

function keyOf(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

async function timeOf(t: Target): Promise<number> {
  const created = Math.max(0, ...t.expectations.map((e) => (e.createdAt ? Date.parse(e.createdAt) || 0 : 0)));
  const mtime = await stat(t.file).then((s) => s.mtimeMs, () => 0);
  return Math.max(created, mtime);
}

/** Backups from PATH arguments: files (explicit) or folders of them, with the manifests found there. */
export async function referencesFromPaths(paths: string[]): Promise<References> {
  const backups: ReferencedBackup[] = [];
  const problems: DiscoveryProblem[] = [];
  for (const input of paths) {
    const path = resolve(input);
    let isDir = false;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      problems.push({ file: path, message: fsError(err, path).message });
      continue;
    }
    const found = await discover([path]);
    problems.push(...found.problems);
    const root = isDir ? path : dirname(path);
    for (const t of found.targets) {
      if (!isDir && t.file !== path) continue;
      backups.push({ ref: { key: keyOf(root, t.file), expectations: t.expectations, memberSource: t.file }, localRoot: root, time: await timeOf(t), explicit: !isDir });
    }
  }
  return { backups, problems, display: asIs, cleanup: async () => {} };
}

/** Backups named by the manifests in a separate manifest location. */
/**
 * Copies manifests (and their signatures) from a location into `temp`, in
 * the same layout, so the manifest readers and signature checks can work on
 * files. Returns the local paths.
 */
async function downloadManifests(location: Location, objects: ObjectInfo[], temp: string, opts: ReadOptions): Promise<string[]> {
  const out: string[] = [];
  for (const o of objects) {
    const dest = join(temp, ...o.key.split('/'));
    if (!dest.startsWith(temp + sep) || o.size > MAX_MANIFEST_BYTES) continue;
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, await location.readRange(o.key, 0, o.size, opts));
    out.push(dest);
  }
  return out;
}

/** Common folder-wide checksum lists, looked for beside an object (a bucket is not listed whole). */
const LIST_NAMES = ['SHA256SUMS', 'SHA512SUMS', 'SHA1SUMS', 'MD5SUMS', 'B3SUMS', 'CHECKSUMS', 'sha256sums.txt', 'checksums.txt'];

/**
 * The manifests of one object: its sidecars (keys starting with its name's
 * stem) and the folder's checksum lists, from the object's own location or a
 * manifest location.
 */
export async function referencesForObject(location: Location, key: string, manifests: Location = location, opts: ReadOptions = {}): Promise<References> {
  const dir = posix.dirname(key) === '.' ? '' : `${posix.dirname(key)}/`;
  const name = posix.basename(key);
  const sidecars = new Set(sidecarNames(name));
  const tempDir = await makeTempDir('restorable-manifests-');
  const temp = tempDir.path;
  const cleanup = () => tempDir.remove();
  const display = (path: string) => path.split(`${temp}/`).join(`${manifests.display}/`);
  try {
    const wanted: ObjectInfo[] = [];
    for await (const o of manifests.list({ ...opts, startsWith: `${dir}${archiveStem(name)}` })) {
      const base = posix.basename(o.key);
      if (sidecars.has(base) || (base.endsWith('.minisig') && sidecars.has(base.slice(0, -8)))) wanted.push(o);
    }
    const lists = await Promise.all(LIST_NAMES.flatMap((n) => [`${dir}${n}`, `${dir}${n}.minisig`]).map((k) => manifests.stat(k, opts).catch(() => undefined)));
    wanted.push(...lists.filter((o): o is ObjectInfo => o !== undefined));
    const files = await downloadManifests(manifests, wanted, temp, opts);
    const names = [name, ...files.map((f) => basename(f))];
    const problems: DiscoveryProblem[] = [];
    const expectations = [];
    for (const f of files.filter((x) => manifestFileKind(basename(x)))) {
      try {
        for (const e of await loadManifest(f, names)) if (e.file === join(dirname(f), name)) expectations.push(e);
      } catch (err) {
        if (!(err instanceof RestorableError)) throw err;
        problems.push({ file: display(f), message: display(err.message) });
      }
    }
    return { backups: [{ ref: { key, expectations }, time: 0, explicit: true }], problems, display, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export async function referencesFromManifestLocation(location: Location, opts: ReadOptions = {}): Promise<References> {
  if (location.kind === 'local') {
    const root = location.display;
    const found = await discover([root]);
    const backups = await Promise.all(found.targets.map(async (t) => ({ ref: { key: keyOf(root, t.file), expectations: t.expectations }, time: await timeOf(t), explicit: false })));
    return { backups, problems: found.problems, display: asIs, cleanup: async () => {} };
  }
  const tempDir = await makeTempDir('restorable-manifests-');
  const temp = tempDir.path;
  const cleanup = () => tempDir.remove();
  try {
    const wanted: ObjectInfo[] = [];
    for await (const o of location.list(opts)) {
      const name = basename(o.key);
      if (manifestFileKind(name) || name.endsWith('.minisig') || name.endsWith('.contents.json')) wanted.push(o);
    }
    const folders = new Set((await downloadManifests(location, wanted, temp, opts)).map((f) => dirname(f)));
    const found = await discover([...folders]);
    const backups = found.targets.map((t) => ({ ref: { key: keyOf(temp, t.file), expectations: t.expectations }, time: Math.max(0, ...t.expectations.map((e) => (e.createdAt ? Date.parse(e.createdAt) || 0 : 0))), explicit: false }));
    // Messages name the manifests where they really are, not the temp copies.
    const display = (path: string) => path.split(temp).join(location.display);
    const problems = found.problems.map((p) => ({ file: display(p.file), message: display(p.message) }));
    return { backups, problems, display, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
