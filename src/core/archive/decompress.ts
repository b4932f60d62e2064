import { PassThrough, Readable } from 'node:stream';
import { gunzip, type GunzipProgress, type InflateObserver } from './gunzip.js';
import { RestorableError, fsError } from '../errors.js';
import type { Compression } from './detect.js';

/** The programs that decompress what node:zlib does not, and the Debian package of each. */
const PROGRAMS: Record<Exclude<Compression, 'none' | 'gzip'>, { cmd: string; args: string[]; pkg: string }> = {
  zstd: { cmd: 'zstd', args: ['-dc'], pkg: 'zstd' },
  xz: { cmd: 'xz', args: ['-dc'], pkg: 'xz-utils' },
  lzma: { cmd: 'xz', args: ['--format=lzma', '-dc'], pkg: 'xz-utils' },
  bzip2: { cmd: 'bzip2', args: ['-dc'], pkg: 'bzip2' },
  lz4: { cmd: 'lz4', args: ['-dc'], pkg: 'lz4' },
  lzop: { cmd: 'lzop', args: ['-dc'], pkg: 'lzop' },
  lzip: { cmd: 'lzip', args: ['-dc'], pkg: 'lzip' },
  // gzip has read compress's .Z since the 1990s, and is on every system.
  compress: { cmd: 'gzip', args: ['-dc'], pkg: 'gzip' },
};

export interface DecompressOptions {
  /** size of the output pieces (gzip) */
  chunkSize?: number;
  /** told the output count at chosen input bytes (gzip) */
  observer?: InflateObserver;
}

export interface Decompressor {
  /** decompressed bytes */
  output: Readable;
  /** compressed bytes consumed so far (where a failure happened, within a read) */
  consumed(): number;
  /** after the end: what the decompressor said was wrong, if anything */
  problem(): string | undefined;
  /** after the end: what a program said of data after its stream (it read the stream whole) */
  trailing?(): string | undefined;
  /** settles when the decompressor is done (a program has exited) */
  finished: Promise<void>;
  /**
   * Throws if the backup itself could not be read (a device error, a
   * download that failed after every retry): that is no verdict on its
   * bytes, so consumers call this before judging what they read.
   */
  rethrowReadError(): void;
}

/**
 * Decompresses `input` (the backup, read once from one descriptor): gzip in
 * process with zlib; zstd, xz, bzip2, lz4, lzop, lzip and compress through
 * the system's programs, fed through a pipe. A missing program is "could not
 * check" (exit 2), naming its Debian package.
 */
export async function decompress(input: Readable, compression: Compression, file: string, opts: DecompressOptions = {}): Promise<Decompressor> {
  const made = await decompressor(input, compression, file, opts);
  let readError: RestorableError | undefined;
  // pipe() does not pass a source's error on: end the output with it, so no reader waits forever.
  input.on('error', (err) => {
    readError ??= fsError(err, file);
    made.output.destroy(readError);
  });
  return {
    ...made,
    rethrowReadError() {
      if (readError) throw readError;
    },
  };
}

async function decompressor(input: Readable, compression: Compression, file: string, opts: DecompressOptions): Promise<Omit<Decompressor, 'rethrowReadError'>> {
  let consumed = 0;
  // Counted only once the input is connected: a 'data' listener starts the flow.
  const count = () => input.on('data', (chunk: string | Buffer) => (consumed += chunk.length));
  if (compression === 'none') {
    const output = new PassThrough();
    input.pipe(output);
    count();
    return { output, consumed: () => consumed, problem: () => undefined, finished: Promise.resolve() };
  }
  if (compression === 'gzip') {
    // In process, member by member, every byte out before the CRC is judged; large output
    // chunks: fewer, bigger pieces through the tar parser and to disk.
    const progress: GunzipProgress = { consumed: 0, observer: opts.observer };
    const output = Readable.from(gunzip(input, progress, opts.chunkSize ?? 256 * 1024), { objectMode: false, highWaterMark: 1 });
    let problem: string | undefined;
    output.on('error', (err) => (problem ??= `gzip: ${err.message}`));
    return { output, consumed: () => progress.consumed, problem: () => problem, finished: Promise.resolve() };
  }
  const { cmd, args, pkg } = PROGRAMS[compression];
  const { execa } = await import('execa');
  const child = execa(cmd, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: { stdout: false, stderr: true } });
  let problem: string | undefined;
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new RestorableError(`${file}: ${cmd} is not installed; it is needed to read ${compression} backups (Debian: apt-get install ${pkg})`));
      else reject(err);
    });
  });
  await spawned;
  input.pipe(child.stdin!);
  count();
  child.stdin!.on('error', () => {}); // the program may stop reading first: its exit says why
  let trailing: string | undefined;
  const finished = child.then((r) => {
    // The program's own error line (bzip2 follows it with advice), without its name, else its last line.
    const lines = String(r.stderr ?? '').trim().split('\n');
    const said = (lines.find((l) => l.startsWith(`${cmd}: `)) ?? lines.pop() ?? '').replace(`${cmd}: `, '');
    // bzip2 and lzop decode the stream and then warn of what follows it: not damage.
    if (/trailing garbage/i.test(said)) trailing = `${cmd}: ${said.split(': ').pop()}`;
    else if (r.exitCode !== 0 && !r.isTerminated) problem = `${cmd}: ${said || `exit code ${r.exitCode}`}`;
  });
  return { output: child.stdout!, consumed: () => consumed, problem: () => problem, trailing: () => trailing, finished: finished.then(() => undefined) };
}
