import { InvalidArgumentError, Option } from 'commander';
import { parseAlgorithmList, type Algorithm } from '../core/hash/algorithms.js';
import { parseSize } from '../output/format.js';

/** Option parsers shared by the subcommands; a bad value is a usage error (exit 2). */

export function algorithmsArg(value: string): Algorithm[] {
  try {
    return parseAlgorithmList(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function sizeArg(value: string): number {
  try {
    return parseSize(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function threadsArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('expected a whole number from 1 to 256');
  return n;
}

export const jsonOption = () => new Option('--json', 'print one JSON document on stdout instead of text');
export const threadsOption = () => new Option('--threads <n>', 'hash with at most N threads (default: one per core)').argParser(threadsArg);
