import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RestorableError } from '../errors.js';
import type { Algorithm } from '../hash/algorithms.js';
import type { CopySide } from './copy-side.js';
import { GREETING, MAX_READ, type CopyResponse } from './copy-protocol.js';
import type { ScanSummary } from './leaf-digests.js';

/** `[user@]host:path`, as scp and rsync write a copy on another machine (a colon before any slash). */
export function parseRemoteCopy(text: string): { host: string; path: string } | undefined {
  const m = /^([^/:]+):(.+)$/.exec(text);
  return m && !text.includes('://') ? { host: m[1]!, path: m[2]! } : undefined;
}

/** Splits "ssh -p 2222 -i 'my key'" into words, honouring quotes as a shell would. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface RemoteOptions {
  /** the remote shell: "ssh" (default), or "ssh -p 2222 -i KEY" */
  rsh?: string;
  /** how restorable is started on the far side (default: "restorable") */
  remoteCommand?: string;
  signal?: AbortSignal;
}

/**
 * A copy on another machine, read there by `restorable serve-copy` started
 * over the remote shell. Only digests and the differing bytes cross the link.
 */
export class RemoteSide implements CopySide {
  readonly where = 'remote' as const;
  moved = 0;
  readThere = 0;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (n: number) => void }>();
  private nextId = 1;
  private stderr = '';
  private ended?: Error;
  private readonly ready: Promise<void>;
  private notReady?: (err: Error) => void;

  constructor(
    readonly name: string,
    host: string,
    path: string,
    opts: RemoteOptions = {},
  ) {
    const [program, ...args] = splitCommand(opts.rsh ?? 'ssh');
    if (!program) throw new RestorableError('--rsh: no command given');
    const command = `${opts.remoteCommand ?? 'restorable'} serve-copy ${shellQuote(path)}`;
    this.child = spawn(program, [...args, host, command], { stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-2000);
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.moved += d.length));
    let greeted: () => void;
    this.ready = new Promise<void>((resolve, reject) => {
      greeted = resolve;
      this.notReady = reject;
    });
    this.child.once('error', (err) => this.fail(err.message));
    const lines = createInterface({ input: this.child.stdout!, crlfDelay: Infinity });
    lines.on('line', (line) => {
      let msg: CopyResponse;
      try {
        msg = JSON.parse(line) as CopyResponse;
      } catch {
        return; // a login banner or a shell's chatter: not ours
      }
      if ('hello' in msg) {
        if (msg.hello === GREETING) greeted();
        else this.fail(`the far side speaks "${msg.hello}", not "${GREETING}"; install the same restorable there`);
        return;
      }
      const w = this.waiting.get(msg.id);
      if (!w) return;
      if ('progress' in msg) w.progress?.(msg.progress);
      else {
        this.waiting.delete(msg.id);
        if ('error' in msg) w.reject(new RestorableError(`${this.name}: ${msg.error}`));
        else w.resolve(msg.result);
      }
    });
    this.child.once('close', (code, sig) => this.fail(`the far side ended (${sig ?? `exit ${code}`})`));
    this.ready.catch(() => {});
  }

  /** Every pending and later request fails with what the far side said last. */
  private fail(why: string): Error {
    if (!this.ended) {
      const said = this.stderr.trim().split('\n').slice(-3).join('; ');
      this.ended = new RestorableError(`${this.name}: ${why}${said ? `: ${said}` : ''}`);
      for (const w of this.waiting.values()) w.reject(this.ended);
      this.waiting.clear();
      this.notReady?.(this.ended);
    }
    return this.ended;
  }

  private async ask<T>(op: string, fields: object = {}, progress?: (n: number) => void): Promise<T> {
    await this.ready;
    if (this.ended) throw this.ended;
    const id = this.nextId++;
    const line = `${JSON.stringify({ id, op, ...fields })}\n`;
    this.moved += line.length;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, progress });
      this.child.stdin!.write(line);
    });
  }

  size(): Promise<number> {
    return this.ask<number>('size');
  }

  async scan(leafSize: number, algorithms: Algorithm[], onProgress?: (bytes: number) => void): Promise<ScanSummary> {
    const summary = await this.ask<ScanSummary>('scan', { leafSize, algorithms }, onProgress);
    this.readThere += summary.size;
    return summary;
  }

  nodes(ranges: [number, number][]): Promise<string[]> {
    return this.ask<string[]>('nodes', { ranges });
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let at = offset; at < offset + length; ) {
      const part = Buffer.from(await this.ask<string>('read', { offset: at, length: Math.min(MAX_READ, offset + length - at) }), 'base64');
      parts.push(part);
      this.readThere += part.length;
      if (part.length === 0) break;
      at += part.length;
    }
    return Buffer.concat(parts);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const closed = new Promise((resolve) => this.child.once('close', resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGTERM'), 5000);
    await closed;
    clearTimeout(timer);
  }
}
