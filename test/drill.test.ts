import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '../src/core/drill/postgres.js';
import { resolveRunAs } from '../src/core/drill/run-as.js';
import { asRoot, drillBench, sourceUser } from './helpers/drills.js';
import { parseJsonOutput, runCli } from './helpers/run-cli.js';
import { runTool } from './helpers/tools.js';

// Restore drills against real servers: PostgreSQL 15 and SQLite from Debian. The dumps are made
// by pg_dump, pg_dumpall and sqlite3 from databases these tests fill; servers never run as root,
// so as root (CI) every drill runs as `nobody`.
const bench = drillBench();
const { dir, drills, args: drillArgs, dirs: drillDirs, freshState, drillJson } = bench;

const ROWS = { items: 5000, orders: 300 };
const dumps: Record<'plain' | 'custom' | 'all' | 'gz', string> = { plain: '', custom: '', all: '', gz: '' };
/** pg_basebackup -Ft -X stream: base.tar, pg_wal.tar and backup_manifest in a folder; and the file of items in it */
const base = { dir: '', itemsFile: '' };

beforeAll(async () => {
  // The source: a server of restorable's own, filled here, dumped with the real tools.
  const source = await PostgresServer.start(await resolveRunAs(sourceUser));
  try {
    await source.query('postgres', 'CREATE DATABASE shop');
    await source.query('shop', `CREATE TABLE items (id int PRIMARY KEY, name text, price numeric);
      INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, ${ROWS.items}) g;
      CREATE TABLE "Orders" (id int, note text);
      INSERT INTO "Orders" SELECT g, E'tab\\there, newline\\nthere' FROM generate_series(1, ${ROWS.orders}) g;
      CREATE TABLE empty (x int);`);
    const dump = async (program: string, args: string[], name: string) => {
      const r = await source.client(program, args);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const path = join(dir, name);
      writeFileSync(path, r.stdout as unknown as string, 'latin1');
      return path;
    };
    dumps.plain = await dump('pg_dump', ['-d', 'shop'], 'shop-20261130.sql');
    dumps.all = await dump('pg_dumpall', [], 'cluster-20261130.sql');
    // The custom format is binary: pg_dump writes the file itself, into the server's folder, and it is copied out.
    const r = await source.client('pg_dump', ['-Fc', '-d', 'shop', '-f', join(source.dir.path, 'shop.dump')]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    dumps.custom = join(dir, 'shop-20261130.dump');
    writeFileSync(dumps.custom, readFileSync(join(source.dir.path, 'shop.dump')));
    dumps.gz = join(dir, 'shop-20261130.sql.gz');
    writeFileSync(dumps.gz, gzipSync(readFileSync(dumps.plain)));
    // A physical backup of the same cluster, with its WAL streamed beside it and a manifest.
    const out = join(source.dir.path, 'basebackup');
    const bb = await source.client('pg_basebackup', ['-D', out, '-Ft', '-X', 'stream', '--checkpoint=fast']);
    expect(bb.exitCode, String(bb.stderr)).toBe(0);
    base.dir = mkdtempSync(join(dir, 'base-'));
    for (const name of ['base.tar', 'pg_wal.tar', 'backup_manifest']) writeFileSync(join(base.dir, name), readFileSync(join(out, name)));
    base.itemsFile = (await source.query('shop', "SELECT pg_relation_filepath('items')"))[0]![0]!;
  } finally {
    await source.stop();
  }
}, 120_000);
afterAll(() => bench.cleanup());


describe('restore drills of healthy dumps', () => {
  it('pg_dump plain, gzip and custom: restored into a server of their own, every table with the rows it had', async () => {
    for (const file of [dumps.plain, dumps.gz, dumps.custom]) {
      const { run, result } = await drillJson(file);
      expect(run.code, JSON.stringify(result.findings)).toBe(0);
      expect(result.status).toBe('verified');
      expect(result.drill.engine).toBe('postgresql');
      expect(result.drill.server).toMatch(/^PostgreSQL \d+\.\d+/);
      const rows = Object.fromEntries(result.drill.tables.map((t: { table: string; rows: number }) => [t.table, t.rows]));
      expect(rows).toEqual({ 'public."Orders"': ROWS.orders, 'public.empty': 0, 'public.items': ROWS.items });
      expect(result.drill.restoreSeconds).toBeGreaterThan(0);
      // what wrote the dump, as its header says, for plain dumps
      if (file !== dumps.custom) expect(result.drill.dumpedBy).toMatch(/^pg_dump \d+\.\d+\S* from PostgreSQL \d+\.\d+/);
      // a plain dump is also read as it streams in: each table's rows as the dump holds them
      if (file !== dumps.custom) expect(result.drill.tables.find((t: { table: string }) => t.table === 'public.items').inDump).toBe(ROWS.items);
    }
  });

  it('pg_dumpall: the cluster restored, tables named by their database', async () => {
    const { run, result } = await drillJson(dumps.all);
    expect(run.code, run.stderr).toBe(0);
    expect(result.drill.tool).toBe('pg_dumpall');
    expect(result.drill.tables).toContainEqual({ table: 'shop.public.items', rows: ROWS.items, inDump: ROWS.items });
  });

  it('sqlite3 .dump: restored with sqlite3 -bail, rows counted; the text says what was proved', async () => {
    const db = join(dir, 'app.db');
    expect(runTool('sqlite3', [db, "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'x, (y); z'), (2, 'it''s');"]).status).toBe(0);
    const file = join(dir, 'app-20261130.sql');
    writeFileSync(file, runTool('sqlite3', [db, '.dump']).stdout);
    const run = await runCli(['drill', file, file, ...drillArgs, '--state-dir', freshState(), '-v']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^✓ restored +\S*app-20261130\.sql {2}sqlite3 \.dump restored into SQLite \d+\.\d+\.\d+ in [\d.]+ s .* · 2 rows in 1 table$/m);
    expect(run.stdout).toMatch(/^ {4}t: 2 \(as in the dump\)$/m);
    expect(run.stdout).toContain("2 restored with every table's rows: nothing compared the values");
  });

  it('ignores the caller’s PG* settings: it talks to its own server only', async () => {
    const { run, result } = await drillJson(dumps.plain, { env: { PGHOST: '203.0.113.1', PGPORT: '1', PGDATABASE: 'nowhere', PGUSER: 'nobody-here', PGSERVICE: 'missing' } });
    expect(run.code, run.stderr).toBe(0);
    expect(result.drill.rows).toBe(ROWS.items + ROWS.orders);
  });
});

describe('deep check of a custom-format dump (no server)', () => {
  it('reads every data block with pg_restore and counts each table; a dump cut short is found', async () => {
    const ok = await runCli(['deep', dumps.custom, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const [r] = parseJsonOutput(ok).results;
    expect(r!.dumps[0]).toMatchObject({ tool: 'pg_dump custom', complete: true, rows: ROWS.items + ROWS.orders });
    const cut = join(dir, 'shop-cut.dump');
    const bytes = readFileSync(dumps.custom);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const bad = await runCli(['deep', cut]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✗ pg_restore: error: could not read from input file: end of file/);
    expect(bad.stdout).toMatch(/has no end \(\\\.\): the dump stops inside its data/);
  });
});

describe('damaged dumps', () => {
  /** The plain dump with `damage` done to its bytes. */
  const damaged = (name: string, damage: (b: Buffer) => Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, damage(Buffer.from(readFileSync(dumps.plain))));
    return path;
  };

  it('cut at 50%, a bit flipped into a tab, a zeroed sector: deep names the table and the byte; the drill fails', async () => {
    const half = damaged('half.sql', (b) => b.subarray(0, Math.floor(b.length / 2)));
    const flip = damaged('flip.sql', (b) => {
      b[b.indexOf('item 4321') + 5]! ^= 0x3d; // '4' (0x34) becomes a tab (0x09)
      return b;
    });
    const sector = damaged('sector.sql', (b) => b.fill(0, 65536, 65536 + 4096));
    const expectations: [string, RegExp][] = [
      [half, /the COPY block of public\.items \(from byte \d+\) has no end/],
      [flip, /a COPY line of public\.items at byte \d+ has 4 fields, not 3/],
      [sector, /4096 NUL bytes at byte 65536 in the data of public\.items/],
    ];
    for (const [file, finding] of expectations) {
      const deep = await runCli(['deep', file]);
      expect(deep.code, file).toBe(1);
      expect(deep.stdout).toMatch(finding);
      const { run, result } = await drillJson(file);
      expect(run.code, file).toBe(1);
      expect(result.status).toBe('drill_failed');
      expect(result.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(finding);
    }
  });
});

describe('each drill held to the last one of its series', () => {
  /** The next day's dump of the same database, with the items table's data cut to `keep` rows. */
  const nextDay = (keep: number) => {
    const text = readFileSync(dumps.plain, 'latin1');
    const start = text.indexOf('\n', text.indexOf('COPY public.items')) + 1;
    const end = text.indexOf('\\.\n', start);
    const rows = text.slice(start, end).split('\n').slice(0, keep);
    const path = join(dir, `shop-2026120${keep === 0 ? 1 : 2}.sql`); // the same series: only the date differs
    writeFileSync(path, text.slice(0, start) + (keep ? `${rows.join('\n')}\n` : '') + text.slice(end), 'latin1');
    return path;
  };

  it('a table emptied since the last drill fails, though the dump is whole and restores cleanly', async () => {
    const state = freshState();
    expect((await drillJson(dumps.plain, { state })).run.code).toBe(0);
    const emptied = nextDay(0);
    // deep sees a whole dump: nothing in it says a table lost its rows
    expect((await runCli(['deep', emptied])).code).toBe(0);
    const { run, result } = await drillJson(emptied, { state });
    expect(run.code).toBe(1);
    expect(result.findings.map((f: { message: string }) => f.message)).toContainEqual(expect.stringMatching(/^public\.items: 0 rows now; the last drill \(\d{4}-\d\d-\d\d, \S+shop-20261130\.sql\) restored 5000$/));
    // the ledger keeps the good drill as the one to beat: a second look fails the same way
    expect((await drillJson(emptied, { state })).run.code).toBe(1);
  });

  it('a table down by more than --max-drop (50% unless told) fails; within it, passes', async () => {
    const state = freshState();
    expect((await drillJson(dumps.plain, { state })).run.code).toBe(0);
    const fewer = nextDay(2000); // 60% fewer items
    const { run, result } = await drillJson(fewer, { state });
    expect(run.code).toBe(1);
    expect(result.findings.map((f: { message: string }) => f.message)).toContainEqual(expect.stringMatching(/^public\.items: 2000 rows now, 60% fewer than the 5000 of the last drill .* \(more than 50% is a failure\)$/));
    expect((await drillJson(fewer, { state, args: ['--max-drop', '70%'] })).run.code).toBe(0);
  });
});

/** A dump big enough to be caught restoring: 600,000 rows of items. */
function bigDump(): string {
  const big = join(dir, 'big-20261130.sql');
  if (existsSync(big)) return big;
  const text = readFileSync(dumps.plain, 'latin1');
  const start = text.indexOf('\n', text.indexOf('COPY public.items')) + 1;
  const end = text.indexOf('\\.\n', start);
  let rows = '';
  for (let i = 1; i <= 600_000; i++) rows += `${i}\titem ${i}\t${i * 1.5}\n`;
  writeFileSync(big, text.slice(0, start) + rows + text.slice(end), 'latin1');
  return big;
}

/** A drill of the big dump, sent `signal` once its psql is restoring. */
function drillKilledWhileRestoring(signal: NodeJS.Signals) {
  const big = bigDump();
  const restoring = () => runTool('pgrep', ['-f', `psql -h ${drills}/`]).status === 0;
  return runCli(['drill', big, ...drillArgs, '--state-dir', freshState()], {
    onSpawn: (kill) => {
      const poll = setInterval(() => {
        if (!restoring()) return;
        clearInterval(poll);
        kill(signal);
      }, 50);
    },
  });
}

describe('safety', () => {
  it.runIf(asRoot)('as root without --run-as, refuses before starting anything (exit 2)', async () => {
    const run = await runCli(['drill', dumps.plain, '--state-dir', freshState()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/does not run database servers as root: pass --run-as USER/);
    const root = await runCli(['drill', dumps.plain, '--run-as', 'root', '--state-dir', freshState()]);
    expect(root.code).toBe(2);
    expect(root.stderr).toMatch(/--run-as root: that is root/);
  });

  it('Ctrl-C in the middle of a restore stops the server at once, removes its folder and exits 130', async () => {
    const run = await drillKilledWhileRestoring('SIGINT');
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('interrupted');
    expect(drillDirs()).toEqual([]);
    expect(runTool('pgrep', ['-f', `${drills}/`]).stdout.trim()).toBe('');
  });

  it('what a drill killed with SIGKILL left (its folder, its server) is removed by the next drill', async () => {
    const killed = await drillKilledWhileRestoring('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(drillDirs()).toHaveLength(1); // nothing could clean up after a SIGKILL…
    const next = await drillJson(dumps.plain);
    expect(next.run.code).toBe(0);
    expect(drillDirs()).toEqual([]); // …until the next drill
    const until = Date.now() + 10_000;
    while (runTool('pgrep', ['-f', `postgres -D ${drills}/`]).status === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(runTool('pgrep', ['-f', `postgres -D ${drills}/`]).status).toBe(1);
  });

  it('--max-duration stops a restore that takes too long: not checked (exit 2), nothing left behind', async () => {
    const run = await runCli(['drill', bigDump(), ...drillArgs, '--state-dir', freshState(), '--max-duration', '1s']);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/stopped after --max-duration 1 s: the restore had not finished \(the server was stopped and removed\)/);
    expect(drillDirs()).toEqual([]);
  });

  it('leaves no folder and no server behind', async () => {
    expect(drillDirs()).toEqual([]);
    const ps = () => runTool('pgrep', ['-f', `${drills}/`]).stdout.trim();
    expect(ps()).toBe('');
  });
});

describe('drills in scheduled tiers', () => {
  it('a drill tier restores the oldest and newest dump, writes drill metrics, and holds the next scan to the ledger', async () => {
    const folder = mkdtempSync(join(dir, 'dumps-'));
    const state = freshState();
    writeFileSync(join(folder, 'shop-20261129.sql'), readFileSync(dumps.plain));
    writeFileSync(join(folder, 'shop-20261130.sql'), readFileSync(dumps.plain));
    writeFileSync(join(folder, 'notes.tar'), Buffer.alloc(10240)); // not a dump: a drill tier does not pick it
    const config = join(folder, '..', `drill-${Date.now()}.yaml`);
    writeFileSync(config, `tiers:\n  drills:\n    check: drill\n    oldest_and_newest: true\n    temp_dir: ${drills}\n${asRoot ? '    run_as: nobody\n' : ''}    max_drop_percent: 10\n`);
    const metrics = join(folder, '..', `drill-${Date.now()}.prom`);
    const scan = () => runCli(['scan', folder, '--config', config, '--tier', 'drills', '--state-dir', state, '--metrics-file', metrics, '--json']);
    const first = await scan();
    expect(first.code, first.stderr).toBe(0);
    expect(parseJsonOutput(first).results.map((r) => [r.file.replace(/.*\//, ''), r.status]).sort()).toEqual([
      ['shop-20261129.sql', 'verified'],
      ['shop-20261130.sql', 'verified'],
    ]);
    const prom = readFileSync(metrics, 'utf8');
    expect(prom).toMatch(/^restorable_drill_success\{folder="[^"]+",backup="shop-20261130\.sql",tier="drills"\} 1$/m);
    expect(prom).toMatch(/^restorable_drill_rows\{folder="[^"]+",backup="shop-20261130\.sql",table="public\.items",tier="drills"\} 5000$/m);
    expect(prom).toMatch(/^restorable_drill_duration_seconds\{folder="[^"]+",backup="shop-20261130\.sql",tier="drills"\} [\d.e-]+$/m);

    // The next day's dump lost a fifth of its items: more than the tier's 10% fails, against the ledger's last drill.
    const text = readFileSync(dumps.plain, 'latin1');
    const start = text.indexOf('\n', text.indexOf('COPY public.items')) + 1;
    const end = text.indexOf('\\.\n', start);
    const kept = text.slice(start, end).split('\n').slice(0, 4000).join('\n');
    writeFileSync(join(folder, 'shop-20261201.sql'), `${text.slice(0, start)}${kept}\n${text.slice(end)}`, 'latin1');
    const second = await scan();
    expect(second.code).toBe(1);
    const failed = parseJsonOutput(second).results.find((r) => r.file.endsWith('shop-20261201.sql'))!;
    expect(failed.status).toBe('drill_failed');
    expect(failed.findings.map((f: { message: string }) => f.message)).toContainEqual(expect.stringMatching(/^public\.items: 4000 rows now, 20% fewer than the 5000 of the last drill .*\(more than 10% is a failure\)$/));
    expect(readFileSync(metrics, 'utf8')).toMatch(/^restorable_drill_success\{folder="[^"]+",backup="shop-20261201\.sql",tier="drills"\} 0$/m);
  });

  it('drill options in a tier of another check are refused, naming the field', async () => {
    const config = join(dir, `bad-tier-${Date.now()}.yaml`);
    writeFileSync(config, 'tiers:\n  nightly:\n    check: hash\n    run_as: nobody\n');
    const run = await runCli(['scan', dir, '--config', config, '--tier', 'nightly', '--state-dir', freshState()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad-tier-\d+\.yaml: tiers\.nightly: run_as, expect, temp_dir and max_drop_percent are for drill tiers/);
  });
});

describe('physical base backups (pg_basebackup -Ft)', () => {
  it('checked against backup_manifest, recovered, every table and index read by pg_amcheck, counted, shut down cleanly', async () => {
    const { run, result } = await drillJson(join(base.dir, 'base.tar'), { args: ['-v'] });
    expect(run.code, JSON.stringify(result.findings)).toBe(0);
    expect(result.drill.tool).toBe('pg_basebackup');
    expect(result.drill.tables).toContainEqual({ table: 'shop.public.items', rows: ROWS.items });
    expect(result.drill.tables).toContainEqual({ table: 'shop.public."Orders"', rows: ROWS.orders });
    const text = await runCli(['drill', join(base.dir, 'base.tar'), ...drillArgs, '--state-dir', freshState()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^✓ restored +\S+base\.tar {2}pg_basebackup restored into PostgreSQL \d+/m);
  });

  it('a byte changed in a table’s file: pg_verifybackup names the file, and the drill fails', async () => {
    const damaged = mkdtempSync(join(dir, 'base-bad-'));
    for (const name of ['pg_wal.tar', 'backup_manifest']) writeFileSync(join(damaged, name), readFileSync(join(base.dir, name)));
    const tar = Buffer.from(readFileSync(join(base.dir, 'base.tar')));
    // the member's header: its name at a 512-byte boundary, then its data
    let at = -1;
    for (let i = tar.indexOf(`${base.itemsFile}\0`); i >= 0; i = tar.indexOf(`${base.itemsFile}\0`, i + 1)) if (i % 512 === 0) at = i;
    expect(at).toBeGreaterThanOrEqual(0);
    tar[at + 512 + 8192 + 100]! ^= 0x01; // a bit in the second page's data
    writeFileSync(join(damaged, 'base.tar'), tar);
    const { run, result } = await drillJson(join(damaged, 'base.tar'));
    expect(run.code).toBe(1);
    expect(result.status).toBe('drill_failed');
    expect(result.findings.map((f: { message: string }) => f.message).join('\n')).toContain(`the backup did not restore: pg_verifybackup: checksum mismatch for file "${base.itemsFile}"`);
  });
});

describe('SQLite database files', () => {
  /** A database of 5000 rows and an index: many pages. */
  const database = (name: string) => {
    const db = join(mkdtempSync(join(dir, 'sqlite-')), name);
    expect(runTool('sqlite3', [db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO t SELECT i, 'name ' || i FROM n; CREATE INDEX t_name ON t(name);"]).status).toBe(0);
    return db;
  };

  it('deep: PRAGMA integrity_check and rows per table, without writing beside it; a zeroed page is found', async () => {
    const db = database('app-20261130.db');
    const ok = await runCli(['deep', db, '--json']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(parseJsonOutput(ok).results[0]!.dumps[0]).toMatchObject({ tool: 'sqlite3 database', complete: true, tables: [{ table: 't', rows: 5000 }] });
    const bytes = Buffer.from(readFileSync(db));
    bytes.fill(0, 4096 * 5, 4096 * 6); // page 6
    writeFileSync(db, bytes);
    const bad = await runCli(['deep', db]);
    expect(bad.code).toBe(1);
    // integrity_check lists what it finds, or sqlite3 stops at the first page it cannot read
    expect(bad.stdout).toMatch(/✗ (integrity_check: .*page|sqlite3: .*database disk image is malformed)/i);
    expect(readdirSync(join(db, '..'))).toEqual(['app-20261130.db']); // no -journal, no -wal
  });

  it('drill: a gzipped database is laid out in a folder of its own, read whole and counted; a damaged one fails', async () => {
    const db = database('app.db');
    const gz = join(dir, 'app-20261130.db.gz');
    writeFileSync(gz, gzipSync(readFileSync(db)));
    const { run, result } = await drillJson(gz);
    expect(run.code, JSON.stringify(result.findings)).toBe(0);
    expect(result.drill).toMatchObject({ engine: 'sqlite', tool: 'sqlite3 database', tables: [{ table: 't', rows: 5000 }] });
    const bytes = Buffer.from(readFileSync(db));
    bytes.fill(0, 4096 * 5, 4096 * 6);
    writeFileSync(gz, gzipSync(bytes));
    const bad = await drillJson(gz);
    expect(bad.run.code).toBe(1);
    expect(bad.result.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(/the dump did not restore: (integrity_check: |sqlite3: .*malformed)/);
  });
});

describe('could not check: the host, not the dump', () => {
  const variant = (name: string, change: (text: string) => string) => {
    const path = join(dir, name);
    writeFileSync(path, change(readFileSync(dumps.plain, 'latin1')), 'latin1');
    return path;
  };

  it('an extension this server does not have, or a dump made by a newer pg_dump: exit 2 naming what to install, never damaged', async () => {
    const extension = variant('ext-20261130.sql', (t) => t.replace('SET statement_timeout = 0;', 'SET statement_timeout = 0;\nCREATE EXTENSION restorable_no_such_extension;'));
    const needs = await runCli(['drill', extension, ...drillArgs, '--state-dir', freshState()]);
    expect(needs.code).toBe(2);
    expect(needs.stdout + needs.stderr).toMatch(/could not be drilled here: it needs the PostgreSQL extension restorable_no_such_extension/);
    const newer = variant('newer-20261130.sql', (t) => t.replace(/^-- Dumped by pg_dump version \S+/m, '-- Dumped by pg_dump version 99.1'));
    const tooNew = await runCli(['drill', newer, ...drillArgs, '--state-dir', freshState()]);
    expect(tooNew.code).toBe(2);
    expect(tooNew.stdout + tooNew.stderr).toMatch(/made by pg_dump 99, newer than this host's PostgreSQL \d+: install PostgreSQL 99/);
    expect(drillDirs()).toEqual([]);
  });

  it('not enough free space for the restore: refused before anything starts (exit 2)', async () => {
    // a sparse file: 40 GB to the drill, no room on the disk
    const huge = join(dir, 'huge-20261130.sql');
    writeFileSync(huge, '');
    expect(runTool('truncate', ['-s', '40G', huge]).status).toBe(0);
    const run = await runCli(['drill', huge, ...drillArgs, '--state-dir', freshState()]);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/free, a drill of this dump needs about [\d.]+ GiB; choose another place with --temp-dir/);
    expect(drillDirs()).toEqual([]);
  });

  it('a custom-format dump the drill’s user can open is restored with pg_restore -j', async () => {
    const readable = join(drills, 'shop-20261130.dump');
    writeFileSync(readable, readFileSync(dumps.custom), { mode: 0o644 });
    try {
      const { run, result } = await drillJson(readable);
      expect(run.code, run.stderr).toBe(0);
      expect(result.drill.method).toMatch(/^pg_restore --exit-on-error -j \d+$/);
      expect(result.drill.tables).toContainEqual({ table: 'public.items', rows: ROWS.items });
    } finally {
      rmSync(readable);
    }
  });
});
