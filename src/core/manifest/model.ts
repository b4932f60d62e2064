import type { Algorithm } from '../hash/algorithms.js';

/** The manifest formats restorable reads. */
export type ManifestKind =
  /** `HEX  NAME` lines as written by sha256sum, md5sum, sha512sum, sha1sum */
  | 'coreutils'
  /** `HEX  NAME` lines as written by b3sum */
  | 'b3sum'
  /** `SHA256 (NAME) = HEX` lines (BSD, `sha256sum --tag`, `cksum -a`) */
  | 'bsd-tag'
  /** NAME.manifest.json, either shape */
  | 'json'
  /** NAME.blocks.json */
  | 'block-map';

/** What one manifest says about one backup file. */
export interface Expectation {
  /** the manifest file this came from */
  manifest: string;
  kind: ManifestKind;
  /** 1-based line number for line-oriented manifests */
  line?: number;
  /** the file name exactly as the manifest wrote it ('' when the manifest names no file) */
  listedName: string;
  /** absolute path inside the manifest's folder, once resolved */
  file?: string;
  /** why the listed name was not resolved (it points outside the manifest's folder) */
  refused?: string;
  size?: number;
  digests: Partial<Record<Algorithm, string>>;
  blockMap?: BlockMap;
  createdAt?: string;
}

/** NAME.blocks.json: sha256 of every fixed-size block, so damage can be located and repaired. */
export interface BlockMap {
  file: string;
  file_size: number;
  block_size: number;
  total_blocks: number;
  file_hash: string;
  blocks: { block: number; offset: number; size: number; hash: string }[];
}
