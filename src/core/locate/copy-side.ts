import { basename, dirname, resolve } from 'node:path';
import { RestorableError } from '../errors.js';
import type { Algorithm } from '../hash/algorithms.js';
import { LocalLocation } from '../storage/local-location.js';
import type { Location } from '../storage/location.js';
import { LeafDigests, type ScanSummary } from './leaf-digests.js';

/**
 * One copy in a comparison, wherever it lies. Each copy is scanned once
 * where it lies (its digest tree built there); what crosses to this process
 * is digests of ranges and, at the end, the bytes of the ranges that differ.
 * `moved` counts those bytes, so the report can say what the comparison
 * cost each copy's link.
 */
export interface CopySide {
  /** as the user named it */
  readonly name: string;
  /** here: a file on this machine; remote: read by restorable where it lies (over --rsh); download: a bucket's object, read here */
  readonly where: 'here' | 'remote' | 'download';
  /** the file a repair can write beside (a copy on this machine) */
  readonly path?: string;
  size(): Promise<number>;
  scan(leafSize: number, algorithms: Algorithm[], onProgress?: (bytes: number) => void): Promise<ScanSummary>;
  /** digests of leaf ranges [from, to), in order */
  nodes(ranges: [number, number][]): Promise<string[]>;
  /** bytes of the copy (fewer at its end) */
  read(offset: number, length: number): Promise<Buffer>;
  /** bytes that crossed from where the copy lies to this process */
  readonly moved: number;
  /** bytes read where the copy lies */
  readonly readThere: number;
  close(): Promise<void>;
}

/** A copy read by this process: a file here, or an object in a bucket (then every byte read is moved). */
export class ScannedSide implements CopySide {
  private tree?: LeafDigests;
  moved = 0;
  readThere = 0;

  constructor(
    readonly name: string,
    readonly where: 'here' | 'download',
    private readonly location: Location,
    private readonly key: string,
    private readonly signal?: AbortSignal,
    readonly path?: string,
  ) {}

  /** A file on this machine. */
  static file(path: string, signal?: AbortSignal, name = path): ScannedSide {
    const full = resolve(path);
    return new ScannedSide(name, 'here', new LocalLocation('here', dirname(full)), basename(full), signal, full);
  }

  /** the size a stat gave, so that a scan after it asks no second time */
  private statted?: number;

  async size(): Promise<number> {
    const info = await this.location.stat(this.key, { signal: this.signal });
    if (!info) throw new RestorableError(`${this.name}: no such file`);
    return (this.statted = info.size);
  }

  async scan(leafSize: number, algorithms: Algorithm[], onProgress?: (bytes: number) => void): Promise<ScanSummary> {
    const tree = await LeafDigests.create(leafSize, this.statted ?? (await this.size()), algorithms);
    for await (const chunk of this.location.read(this.key, { signal: this.signal })) {
      tree.update(chunk);
      this.count(chunk.length);
      onProgress?.(chunk.length);
    }
    this.tree = tree;
    return tree.finish();
  }

  async nodes(ranges: [number, number][]): Promise<string[]> {
    if (!this.tree) throw new Error('nodes() before scan()');
    return ranges.map(([from, to]) => this.tree!.node(from, to));
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const bytes = await this.location.readRange(this.key, offset, length, { signal: this.signal });
    this.count(bytes.length);
    return bytes;
  }

  private count(n: number): void {
    this.readThere += n;
    if (this.where === 'download') this.moved += n;
  }

  async close(): Promise<void> {}
}
