import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTool } from '../helpers/tools.js';
import { withInspectorOn } from '../helpers/inspector.js';
import { sourceUser } from '../helpers/drills.js';

// D in the inspector: a real restore drill (sqlite3 from Debian) of a dump in the list, as a step
// list; the detail then shows the drill the next one is held to.
const dir = mkdtempSync(join(tmpdir(), 'restorable-ui-drill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sqliteDump(name: string, rows: number): string {
  const db = join(dir, `${name}.db`);
  rmSync(db, { force: true });
  const values = Array.from({ length: rows }, (_, i) => `(${i}, 'row ${i}')`).join(', ');
  expect(runTool('sqlite3', [db, `CREATE TABLE t(a, b); INSERT INTO t VALUES ${values};`]).status).toBe(0);
  const file = join(dir, 'dumps', `${name}.sql`);
  writeFileSync(file, runTool('sqlite3', [db, '.dump']).stdout);
  return file;
}

describe('restore drill in the inspector', () => {
  it('D drills the dump as a list of steps with rows per table; the detail then shows the last drill, and the next D is held to it', async () => {
    runTool('mkdir', ['-p', join(dir, 'dumps')]);
    sqliteDump('app-20261130', 3);
    const state = mkdtempSync(join(dir, 'state-'));
    await withInspectorOn(
      [join(dir, 'dumps')],
      async (ui) => {
        await ui.type('D');
        let text = await ui.waitFor(/^✓ restored +sqlite3 \.dump restored into SQLite [\d.]+ in [\d.]+ s/m);
        expect(text).toMatch(/^restore drill app-20261130\.sql$/m);
        expect(text).toMatch(/^✓ start a new SQLite database for this drill/m);
        expect(text).toMatch(/^✓ restore \(sqlite3 -bail\) [\d.]+ s$/m);
        expect(text).toMatch(/^✓ count the rows of every table 1 tables$/m);
        expect(text).toMatch(/^✓ stop the server and remove its folder$/m);
        expect(text).toMatch(/^t: 3 \(as in the dump\)$/m);
        await ui.type('{escape}');
        await ui.waitFor(/✓ restored +app-20261130\.sql/);
        await ui.type('{enter}');
        text = await ui.waitFor(/^last drill that passed: \d+s ago, 3 rows in 1 tables$/m);
        expect(text).toMatch(/checks: drill restored/);
        await ui.type('D');
        await ui.waitFor(/^t: 3 \(as in the dump; last drill 3\)$/m);
      },
      undefined,
      { stateDir: state, runAs: sourceUser },
    );
  });

  it('D on a file that is not a dump says so, and checks nothing', async () => {
    runTool('mkdir', ['-p', join(dir, 'other')]);
    writeFileSync(join(dir, 'other', 'notes.sql'), 'hello, this is not SQL a dump tool wrote\n');
    await withInspectorOn(
      [join(dir, 'other')],
      async (ui) => {
        await ui.type('D');
        // (the message wraps at 80 columns)
        const text = await ui.waitFor((t) => t.replace(/\s*\n\s*/g, ' ').includes('notes.sql: not a dump restorable can drill (pg_dump plain or custom, pg_dumpall, mysqldump, sqlite3 .dump or database, a pg_basebackup tar)'));
        expect(text).not.toMatch(/no earlier drill/);
      },
      undefined,
      { stateDir: mkdtempSync(join(dir, 'state-')), runAs: sourceUser },
    );
  });
});
