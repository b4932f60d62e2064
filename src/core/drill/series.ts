import { basename, dirname, join } from 'node:path';

/**
 * The series a dump belongs to: its folder and name with the dates and
 * times taken out, so that `shop-20261130.sql.gz` and `shop-20261201.sql.gz`
 * are one series and each drill is held to the one before it.
 */
export function seriesOf(file: string): string {
  const name = basename(file)
    .replace(/\d{4}-\d{2}-\d{2}([T_ ]?\d{2}[:.-]?\d{2}([:.-]?\d{2})?)?Z?/g, '*')
    .replace(/\d{6,}/g, '*');
  return join(dirname(file), name);
}
