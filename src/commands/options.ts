import { InvalidArgumentError, Option } from 'commander';
import { parseAlgorithmList, type Algorithm } from '../core/hash/algorithms.js';
import { resolve } from 'node:path';
import { parseBudget, parseSize } from '../output/format.js';
import { isObjectUri } from '../core/storage/object-uri.js';

/** Option parsers shared by the subcommands; a bad value is a usage error (exit 2). */

export function algorithmsArg(value: string): Algorithm[] {
  try {
    return parseAlgorithmList(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parsedArg(parse: (text: string) => number): (value: string) => number {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

export const sizeArg = parsedArg(parseSize);
/** A byte budget, where 0 (nothing at all) is a budget too. */
export const budgetArg = parsedArg(parseBudget);

/** A block map's block size: small enough to locate damage, large enough that the map stays small. */
export function blockSizeArg(value: string): number {
  const n = sizeArg(value);
  if (n < 4096 || n > 1024 ** 3) throw new InvalidArgumentError(`a block size from 4KiB to 1GiB, not ${value}`);
  return n;
}

export function threadsArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('expected a whole number from 1 to 256');
  return n;
}

export function positiveArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** "50%" or "50" → 0.5: a share from 0 to 100 percent. */
export function percentArg(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(value.trim());
  if (!m || Number(m[1]) > 100) throw new InvalidArgumentError('expected a percentage from 0 to 100, such as 50%');
  return Number(m[1]) / 100;
}

/** "90s", "15m", "2h" → seconds. */
export function durationArg(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 90s, 15m or 2h');
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

/** "1/4" → the first of four runners (counted from 1, as Kubernetes Indexed Jobs count from 0 + 1). */
export function shardArg(value: string): { index: number; count: number } {
  // "--shard N" in a Kubernetes Indexed Job: the index is the job's own (JOB_COMPLETION_INDEX, from 0).
  if (/^\d+$/.test(value)) {
    const count = Number(value);
    const env = process.env.JOB_COMPLETION_INDEX;
    const index = Number(env);
    if (env === undefined || !/^\d+$/.test(env)) throw new InvalidArgumentError('a shard count alone takes its index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), which is not set; give I/N instead');
    if (count < 1 || index >= count) throw new InvalidArgumentError(`JOB_COMPLETION_INDEX is ${index}, but there are only ${count} shards (completions must equal the shard count)`);
    return { index, count };
  }
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new InvalidArgumentError('expected I/N with 1 ≤ I ≤ N, e.g. 2/4');
  return { index: index - 1, count };
}

/** A repeatable option whose values may also be comma lists: "--trust a.pub --trust b.pub,c.pub". */
export function listArg(value: string, previous: string[] | undefined): string[] {
  const items = value.split(',').filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected a file name');
  return [...(previous ?? []), ...items];
}

/** Where the ledger, the alert outbox and the locks live. */
export const stateDirOption = () => new Option('--state-dir <dir>', 'where the ledger is kept (default: $XDG_STATE_HOME/restorable)');
export const jsonOption = () => new Option('--json', 'print one JSON document on stdout instead of text');
export const threadsOption = () => new Option('--threads <n>', 'hash with at most N threads (default: one per core)').argParser(threadsArg);

/** A command-line file: an object URI (s3://, r2://, b2://) as given, a path made absolute. */
export function targetArg(file: string): string {
  return isObjectUri(file) ? file : resolve(file);
}
