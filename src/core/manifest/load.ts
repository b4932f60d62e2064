import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ManifestError, fsError } from '../errors.js';
import { parseChecksumFile } from './checksum-file.js';
import type { Expectation } from './model.js';
import { manifestFileKind, sidecarOwnerCandidates } from './names.js';
import { resolveListedName } from './resolve.js';
import { parseJsonFile } from './safe-json.js';

/** Manifests larger than this are refused rather than read into memory. */
export const MAX_MANIFEST_BYTES = 512 * 1024 * 1024;

async function readManifestText(file: string): Promise<string> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new ManifestError(file, undefined, 'is not a regular file');
    size = s.size;
  } catch (err) {
    throw fsError(err, file);
  }
  if (size > MAX_MANIFEST_BYTES) throw new ManifestError(file, undefined, `is ${size} bytes; manifests over ${MAX_MANIFEST_BYTES} bytes are refused`);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fsError(err, file);
  }
}

/**
 * Reads one manifest file of any supported kind and resolves the names it
 * lists. `folderNames` (the manifest folder's entries) lets sidecars that do
 * not name their backup be bound to it; it is read when not given.
 */
export async function loadManifest(file: string, folderNames?: readonly string[]): Promise<Expectation[]> {
  const kind = manifestFileKind(basename(file));
  if (!kind) throw new ManifestError(file, undefined, 'is not a manifest restorable knows (checksum list, .manifest.json or .blocks.json)');
  const text = await readManifestText(file);
  const names = async () => folderNames ?? (await readdir(dirname(file)).catch(() => [] as string[]));

  let entries: Expectation[];
  if (kind === 'checksums') {
    entries = parseChecksumFile(file, text);
  } else if (kind === 'json') {
    // The schema library costs ~45 ms to load: only pay for it when a JSON manifest is read.
    const { jsonExpectation, parseJsonManifest } = await import('./json-manifest.js');
    const m = parseJsonManifest(file, parseJsonFile(file, text));
    entries = [jsonExpectation(file, m, m.backupFile ?? '')];
  } else {
    const { parseBlockMap } = await import('./block-map.js');
    const map = parseBlockMap(file, parseJsonFile(file, text));
    entries = [{ manifest: file, kind: 'block-map', listedName: map.file, size: map.file_size, digests: { sha256: map.file_hash }, blockMap: map }];
  }
  for (const e of entries) await bind(e, names);
  return entries;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** Sets e.file (or e.refused) from the listed name, or from the sidecar's own name. */
async function bind(e: Expectation, names: () => Promise<readonly string[]>): Promise<void> {
  if (e.listedName !== '' && e.listedName !== '-') {
    Object.assign(e, resolveListedName(e.manifest, e.listedName));
    // A relative name written from another folder (`sha256sum dir/x > dir/x.sha256`,
    // `backup_file: "dir/x"`) is found by its basename beside the manifest, as an
    // absolute name is, when the path as written leads to nothing.
    const base = basename(e.listedName.replace(/\\/g, '/'));
    const beside = join(dirname(e.manifest), base);
    if (base !== e.listedName && base !== '' && base !== '.' && base !== '..' && (e.refused || !(await isFile(e.file!))) && (await isFile(beside))) {
      e.file = beside;
      delete e.refused;
    }
    return;
  }
  const owners = sidecarOwnerCandidates(basename(e.manifest), await names());
  const field = e.line ? `line ${e.line}` : 'backup_file';
  if (owners.length === 1) e.file = join(dirname(e.manifest), owners[0]!);
  else if (owners.length === 0) throw new ManifestError(e.manifest, field, 'names no file and no backup matches the manifest\'s own name');
  else throw new ManifestError(e.manifest, field, `names no file and several backups match the manifest's name (${owners.join(', ')})`);
}
