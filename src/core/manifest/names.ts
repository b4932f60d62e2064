/**
 * File naming conventions: which files are backups, which are manifests, and
 * which sidecar names belong to which backup (DESIGN section 3).
 */

/** Longest first, so ".tar.gz" wins over ".gz". */
export const BACKUP_EXTENSIONS = [
  '.tar.gz', '.tar.zst', '.tar.xz', '.tar.bz2', '.tar.lz4', '.tar.lzma', '.tar.lzo', '.tar.lz', '.tar.z',
  '.sql.gz', '.sql.zst', '.sql.xz', '.sql.bz2',
  '.tgz', '.tbz2', '.tbz', '.tb2', '.tzst', '.txz', '.tlz4', '.tlz', '.taz', '.tar', '.sql', '.dump',
  '.zip', '.7z', '.gz', '.zst', '.xz', '.bz2', '.lz4', '.lzo', '.lz',
  '.bak', '.img', '.qcow2', '.vmdk', '.pgdump', '.archive',
];

export const CHECKSUM_EXTENSIONS = ['.sha256', '.sha512', '.sha1', '.md5', '.b3', '.sfv'] as const;
export const JSON_MANIFEST_SUFFIX = '.manifest.json';
export const BLOCK_MAP_SUFFIX = '.blocks.json';

/** Folder-wide checksum lists. */
const LIST_NAME = /^(sha1|sha256|sha512|md5|b3|blake3)?sums(\.txt)?$|^checksums(\.txt)?$/i;

export type ManifestFileKind = 'checksums' | 'json' | 'block-map';

export function manifestFileKind(name: string): ManifestFileKind | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(BLOCK_MAP_SUFFIX)) return 'block-map';
  if (lower.endsWith(JSON_MANIFEST_SUFFIX)) return 'json';
  if (LIST_NAME.test(name)) return 'checksums';
  if (CHECKSUM_EXTENSIONS.some((ext) => lower.endsWith(ext) || lower.endsWith(`${ext}sum`) || lower.endsWith(`${ext}sums`))) return 'checksums';
  return undefined;
}

/** Folder-wide lists such as SHA256SUMS, as opposed to one backup's sidecar. */
export function isChecksumList(name: string): boolean {
  return LIST_NAME.test(name);
}

/** Our own temp files, dotfiles and content indexes are never backups. */
function isHiddenOrTemp(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.tmp') || name.endsWith('.part') || name.endsWith('.contents.json');
}

export function isBackupName(name: string): boolean {
  if (isHiddenOrTemp(name) || manifestFileKind(name)) return false;
  const lower = name.toLowerCase();
  return BACKUP_EXTENSIONS.some((ext) => lower.endsWith(ext) && lower.length > ext.length);
}

/** "backup-20260130.tar.gz" → "backup-20260130" (the whole archive extension). */
export function archiveStem(name: string): string {
  const lower = name.toLowerCase();
  const ext = BACKUP_EXTENSIONS.find((e) => lower.endsWith(e) && lower.length > e.length);
  if (ext) return name.slice(0, -ext.length);
  return lastExtensionStem(name);
}

/** "backup.tar.gz" → "backup.tar" (the last extension only). */
export function lastExtensionStem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

const CHECKSUM_SUFFIXES = CHECKSUM_EXTENSIONS.flatMap((ext) => [ext, `${ext}sum`]);

/** Sidecar names that may describe the backup `name`, in the order they are tried. */
export function sidecarNames(name: string): string[] {
  // Asked once per backup when thousands are listed: no sets, no suffix lists built per call.
  const names = [`${name}${JSON_MANIFEST_SUFFIX}`];
  const last = lastExtensionStem(name);
  if (last !== name) names.push(`${last}${JSON_MANIFEST_SUFFIX}`);
  names.push(`${name}${BLOCK_MAP_SUFFIX}`);
  for (const suffix of CHECKSUM_SUFFIXES) names.push(`${name}${suffix}`);
  const stem = archiveStem(name);
  if (stem !== name) for (const suffix of CHECKSUM_SUFFIXES) names.push(`${stem}${suffix}`);
  return names;
}

/**
 * The sidecars among a folder's names, looked up by the backup they may
 * describe: the same answer as `sidecarNames(backup)` filtered by the folder,
 * without building sixteen candidate names per backup (the inspector asks
 * this for each of thousands of backups before its first frame).
 */
export function sidecarsInFolder(names: readonly string[]): (backup: string) => string[] {
  const json = new Map<string, string>();
  const blockMaps = new Map<string, string>();
  const checksums = new Map<string, string[]>();
  for (const n of names) {
    if (n.endsWith(JSON_MANIFEST_SUFFIX)) json.set(n.slice(0, -JSON_MANIFEST_SUFFIX.length), n);
    else if (n.endsWith(BLOCK_MAP_SUFFIX)) blockMaps.set(n.slice(0, -BLOCK_MAP_SUFFIX.length), n);
    const suffix = CHECKSUM_SUFFIXES.find((s) => n.endsWith(s));
    if (!suffix) continue;
    const base = n.slice(0, -suffix.length);
    checksums.set(base, [...(checksums.get(base) ?? []), n]);
  }
  const bySuffix = (list: string[] = []) => list.sort((a, b) => suffixRank(a) - suffixRank(b));
  return (backup) => {
    const last = lastExtensionStem(backup);
    const stem = archiveStem(backup);
    const found = [json.get(backup), last !== backup ? json.get(last) : undefined, blockMaps.get(backup)];
    return [...found.filter((n): n is string => n !== undefined), ...bySuffix(checksums.get(backup)), ...(stem !== backup ? bySuffix(checksums.get(stem)) : [])];
  };
}

function suffixRank(name: string): number {
  return CHECKSUM_SUFFIXES.findIndex((s) => name.endsWith(s));
}

const namesAsSet = new WeakMap<readonly string[], Set<string>>();

/**
 * The backup a sidecar belongs to when its content does not say
 * ("NAME.sha256" listing "-", a legacy NAME.manifest.json): candidates are
 * NAME itself, then backups whose whole archive extension was replaced.
 */
export function sidecarOwnerCandidates(sidecar: string, folderNames: readonly string[]): string[] {
  // A folder of thousands of backups asks this for each sidecar: look names up, do not scan them.
  let present = namesAsSet.get(folderNames);
  if (!present) namesAsSet.set(folderNames, (present = new Set(folderNames)));
  const lower = sidecar.toLowerCase();
  const checksumSuffixes = CHECKSUM_EXTENSIONS.flatMap((ext) => [`${ext}sums`, `${ext}sum`, ext]);
  const suffix = [JSON_MANIFEST_SUFFIX, BLOCK_MAP_SUFFIX, ...checksumSuffixes].find((s) => lower.endsWith(s));
  if (!suffix) return [];
  const base = sidecar.slice(0, -suffix.length);
  if (present.has(base)) return [base];
  const byStem = folderNames.filter((n) => isBackupName(n) && (archiveStem(n) === base || lastExtensionStem(n) === base));
  return byStem;
}
