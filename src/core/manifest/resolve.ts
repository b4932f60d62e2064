import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Where a name listed in a manifest points. Absolute names (as
 * `sha256sum /backups/x.tar.gz` writes them) are looked up by basename in the
 * manifest's own folder; relative names must stay inside that folder.
 */
export function resolveListedName(manifestPath: string, name: string): { file: string } | { refused: string } {
  const dir = dirname(resolve(manifestPath));
  if (name.includes('\0')) return { refused: 'the name contains a NUL byte' };
  if (isAbsolute(name) || /^[A-Za-z]:[\\/]/.test(name)) {
    const base = basename(name.replace(/\\/g, '/'));
    if (!base || base === '.' || base === '..') return { refused: `"${name}" names no file` };
    return { file: join(dir, base) };
  }
  const file = resolve(dir, name);
  const rel = relative(dir, file);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    return { refused: `"${name}" points outside the manifest's folder ${dir}; it was not opened` };
  }
  return { file };
}

/**
 * Refuses a file whose real path (symbolic links followed) leaves `folder`.
 * Returns undefined when it is inside, or a reason when it is not.
 */
export async function escapesFolder(file: string, folder: string): Promise<string | undefined> {
  let realFile: string;
  let realFolder: string;
  try {
    [realFile, realFolder] = await Promise.all([realpath(file), realpath(folder)]);
  } catch {
    return undefined; // missing files are reported as missing by the check itself
  }
  const rel = relative(realFolder, realFile);
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    return `${file} is a link to ${realFile}, outside the manifest's folder; it was not opened`;
  }
  return undefined;
}
