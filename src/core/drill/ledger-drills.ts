import type { CheckResult } from '../events/types.js';
import type { Ledger } from '../schedule/ledger.js';
import type { DrillOptions } from './drill.js';
import { seriesOf } from './series.js';

/** A drill's options for one dump: the common ones, and the last drill of its series, which it is held to. */
export function drillOptionsFor(ledger: Ledger, common: Omit<DrillOptions, 'previous'>): (file: string) => DrillOptions {
  return (file) => ({ ...common, previous: ledger.lastDrill(seriesOf(file)) });
}

/** Only a drill that passed becomes what the next drill of its series is held to. */
export function rememberDrill(ledger: Ledger, r: CheckResult): void {
  if (r.drill && r.status === 'verified') ledger.recordDrill(seriesOf(r.file), { file: r.file, at: r.checkedAt, tables: Object.fromEntries(r.drill.tables.map((t) => [t.table, t.rows])) });
}

/** Names of dumps a drill tier picks from (a drill of a tar or an image could only say "not a dump"). */
export const isDumpName = (name: string) => /(\.(sql|dump|pgdump|db|sqlite|sqlite3)|^base\.tar)(\.(gz|zst|xz|bz2|lz4))?$/i.test(name);
