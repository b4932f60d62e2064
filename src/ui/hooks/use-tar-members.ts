import { useEffect, useState } from 'react';
import type { MemberExtent } from '../../core/archive/tar-index.js';

/**
 * The members of an uncompressed tar with their byte extents, read from its
 * headers once per backup (data is skipped); empty for anything else. In a
 * compressed archive the members are not at byte positions of the file.
 */
export function useTarMembers(file: string): MemberExtent[] {
  const [members, setMembers] = useState<MemberExtent[]>([]);
  useEffect(() => {
    let live = true;
    void (async () => {
      const { openArchive } = await import('../../core/archive/open-archive.js');
      const archive = await openArchive(file).catch(() => undefined);
      if (!archive) return;
      try {
        if (archive.container !== 'tar' || archive.compression !== 'none') return;
        const { indexPlainTar } = await import('../../core/archive/tar-index.js');
        const extents = await indexPlainTar(archive.handle, archive.before.size);
        if (live) setMembers(extents);
      } catch {
        // Headers that cannot be read name no members; the bytes are still shown.
      } finally {
        await archive.handle.close();
      }
    })();
    return () => {
      live = false;
    };
  }, [file]);
  return members;
}
