import { describe, expect, it } from 'vitest';
import { sidecarNames, sidecarsInFolder } from '../src/core/manifest/names.js';

// The inspector finds each backup's sidecars through sidecarsInFolder (one pass over the
// folder); checks find them through sidecarNames. Both must name the same files in the same order.
describe('sidecars of a backup', () => {
  const folder = [
    'db.sql.gz', 'db.sql.gz.sha256', 'db.sql.gz.manifest.json', 'db.sql.manifest.json', 'db.sql.gz.blocks.json', 'db.sha256sum', 'db.md5',
    'site.tar.gz', 'site.sha512', 'site.tar.gz.b3', 'site.tar.manifest.json',
    'plain', 'plain.sha256', 'plain.manifest.json',
    'disk.img', 'disk.img.sha1sum', 'disk.sfv', 'other.tar.gz.sha256', 'SHA256SUMS', 'Disk.img.sha256',
  ];
  const present = new Set(folder);

  it.each(['db.sql.gz', 'site.tar.gz', 'plain', 'disk.img', 'missing.tar'])('%s: the same files as the candidates that exist', (backup) => {
    expect(sidecarsInFolder(folder)(backup)).toEqual(sidecarNames(backup).filter((n) => present.has(n)));
  });

  it('finds each kind: own JSON, JSON by last extension, block map, own checksums, checksums by archive stem', () => {
    expect(sidecarsInFolder(folder)('db.sql.gz')).toEqual(['db.sql.gz.manifest.json', 'db.sql.manifest.json', 'db.sql.gz.blocks.json', 'db.sql.gz.sha256', 'db.sha256sum', 'db.md5']);
    // Names are matched exactly: Disk.img.sha256 is not disk.img's.
    expect(sidecarsInFolder(folder)('disk.img')).toEqual(['disk.img.sha1sum', 'disk.sfv']);
  });
});
