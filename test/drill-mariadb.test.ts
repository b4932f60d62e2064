import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MariaDbServer } from '../src/core/drill/mariadb.js';
import { resolveRunAs } from '../src/core/drill/run-as.js';
import { drillBench, sourceUser } from './helpers/drills.js';
import { runCli } from './helpers/run-cli.js';

// Restore drills of mysqldump (mariadb-dump) output against a real MariaDB server from Debian.
// The dumps are made here by mariadb-dump from a server of restorable's own, filled by these
// tests; as root (CI) every server runs as `nobody`.
const bench = drillBench();
const { dir, args: drillArgs, dirs: drillDirs, freshState, drillJson } = bench;

const ROWS = { items: 5000, orders: 300 };
const dumps = { single: '', databases: '', all: '' };

beforeAll(async () => {
  const source = await MariaDbServer.start({ runAs: await resolveRunAs(sourceUser) });
  try {
    await source.query('CREATE DATABASE shop');
    // Values a parser of INSERTs must not be fooled by: quotes, escaped quotes, tabs, newlines, parentheses and commas in strings.
    await source.query(
      `CREATE TABLE items (id int PRIMARY KEY, name text, price decimal(10,2));
       INSERT INTO items SELECT seq, concat('item ', seq, ' it''s (a), b'), seq * 1.5 FROM seq_1_to_${ROWS.items};
       CREATE TABLE \`Orders\` (id int, note text);
       INSERT INTO \`Orders\` SELECT seq, 'tab\\there, newline\\nthere \\\\ );' FROM seq_1_to_${ROWS.orders};
       CREATE TABLE empty (x int);`,
      'shop',
    );
    const dump = async (args: string[], name: string) => {
      const r = await source.client('mariadb-dump', args);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const path = join(dir, name);
      writeFileSync(path, String(r.stdout));
      return path;
    };
    dumps.single = await dump(['shop'], 'shop-20261130.sql');
    dumps.databases = await dump(['--databases', 'shop'], 'shopdb-20261130.sql');
    dumps.all = await dump(['--all-databases'], 'all-20261130.sql');
  } finally {
    await source.stop();
  }
}, 120_000);
afterAll(() => bench.cleanup());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed --json output
const rowsOf = (result: Record<string, any>) => Object.fromEntries(result.drill.tables.map((t: { table: string; rows: number }) => [t.table, t.rows]));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed --json output
const messages = (result: Record<string, any>) => result.findings.map((f: { message: string }) => f.message).join('\n');

describe('MariaDB drills of healthy dumps', () => {
  it('one database, --databases and --all-databases: every table with the rows it had, as the dump holds them', async () => {
    const single = await drillJson(dumps.single);
    expect(single.run.code, single.run.stderr).toBe(0);
    expect(single.result.status).toBe('verified');
    expect(single.result.drill).toMatchObject({ engine: 'mariadb', tool: 'mysqldump' });
    expect(single.result.drill.server).toMatch(/^MariaDB \d+\.\d+\.\d+$/);
    expect(single.result.drill.dumpedBy).toMatch(/^mariadb-dump \d+\.\d+ \(\d+\.\d+\.\d+-MariaDB\) from \d+\.\d+\.\d+-MariaDB/);
    expect(rowsOf(single.result)).toEqual({ Orders: ROWS.orders, empty: 0, items: ROWS.items });
    expect(single.result.drill.tables.find((t: { table: string }) => t.table === 'items').inDump).toBe(ROWS.items);

    // the dump makes its own database (USE `shop`): its tables are named by it, in the dump and in the server
    const databases = await drillJson(dumps.databases);
    expect(databases.run.code, databases.run.stderr).toBe(0);
    expect(databases.result.drill.tables).toContainEqual({ table: 'shop.items', rows: ROWS.items, inDump: ROWS.items });

    // the server's own schema (mysql.*) is rewritten by the dump, but is not the backup's data
    const all = await drillJson(dumps.all);
    expect(all.run.code, all.run.stderr).toBe(0);
    expect(rowsOf(all.result)).toEqual({ 'shop.Orders': ROWS.orders, 'shop.empty': 0, 'shop.items': ROWS.items });
  });

  it('ignores the caller’s MYSQL_* settings and option files: it talks to its own server only', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    writeFileSync(join(home, '.my.cnf'), '[client]\nhost=203.0.113.1\nport=1\nuser=nobody-here\npassword=wrong\n');
    const { run, result } = await drillJson(dumps.single, { env: { HOME: home, MYSQL_HOST: '203.0.113.1', MYSQL_TCP_PORT: '1', MYSQL_PWD: 'wrong', MYSQL_UNIX_PORT: '/nonexistent.sock' } });
    expect(run.code, run.stderr).toBe(0);
    expect(result.drill.rows).toBe(ROWS.items + ROWS.orders);
  });
});

describe('damaged mysqldumps', () => {
  const damaged = (name: string, damage: (text: string) => string) => {
    const path = join(dir, name);
    writeFileSync(path, damage(readFileSync(dumps.single, 'latin1')), 'latin1');
    return path;
  };

  it('cut at 50%: the restore stops or the dump is found short, and the drill fails naming the table', async () => {
    const half = damaged('half.sql', (t) => t.slice(0, Math.floor(t.length / 2)));
    const { run, result } = await drillJson(half);
    expect(run.code, run.stderr).toBe(1);
    expect(result.status).toBe('drill_failed');
    expect(messages(result)).toMatch(/items/);
  });

  it('one table’s INSERTs removed: whole and restorable, but the table at 0 rows fails against the last drill', async () => {
    const state = freshState();
    expect((await drillJson(dumps.single, { state })).run.code).toBe(0);
    // the next day's dump, the same series, with items' data gone
    const gone = damaged('shop-20261201.sql', (t) => t.replace(/^INSERT INTO `items` VALUES[\s\S]*?\);\n/gm, '') /* one row a line: no item's name holds ");" */);
    expect(gone).not.toBe(readFileSync(dumps.single, 'latin1'));
    const { run, result } = await drillJson(gone, { state });
    expect(run.code).toBe(1);
    expect(messages(result)).toMatch(/^items: 0 rows now; the last drill \(\d{4}-\d\d-\d\d, \S+shop-20261130\.sql\) restored 5000$/m);
    expect(result.drill.tables.find((t: { table: string }) => t.table === 'items')).toEqual({ table: 'items', rows: 0, lastDrill: ROWS.items });
  });

  it('a statement that reaches for the file system (\\! or source) stops the restore: mariadb runs --sandbox', async () => {
    const marker = join(dir, 'escaped');
    const hostile = damaged('hostile.sql', (t) => t.replace('-- Dump completed', `\\! touch ${marker}\n-- Dump completed`));
    const { run, result } = await drillJson(hostile);
    expect(run.code).toBe(1);
    expect(messages(result)).toMatch(/the dump did not restore: mariadb stopped: .*sandbox/i);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('expectations (--expect)', () => {
  it('min_rows and SQL probes: each passes or fails by name; a bad file is exit 2 naming the field', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, `min_rows:\n  items: 5000\n  Orders: 1\nprobes:\n  - name: items priced\n    sql: SELECT count(*) = ${ROWS.items} FROM items WHERE price > 0\n`);
    const pass = await runCli(['drill', dumps.single, ...drillArgs, '--state-dir', freshState(), '--expect', good, '-v']);
    expect(pass.code, pass.stdout + pass.stderr).toBe(0);
    expect(pass.stdout).toMatch(/✓ probe "items priced" returned true/);

    const strict = join(dir, 'strict.yaml');
    writeFileSync(strict, `min_rows:\n  items: 6000\n  refunds: 1\nprobes:\n  - name: an order of 2027\n    sql: SELECT count(*) > 0 FROM Orders WHERE id > 1000000\n  - name: broken\n    sql: SELECT nonsense FROM nowhere\n`);
    const { run, result } = await drillJson(dumps.single, { args: ['--expect', strict] });
    expect(run.code).toBe(1);
    const said = messages(result);
    expect(said).toMatch(/^items: 5000 rows restored; \S+strict\.yaml expects at least 6000$/m);
    expect(said).toMatch(/^refunds: not restored; \S+strict\.yaml expects at least 1 row$/m);
    expect(said).toMatch(/^probe "an order of 2027" returned 0, not true$/m);
    expect(said).toMatch(/^probe "broken" could not run: mariadb: ERROR 1146 \(42S02\) at line 1: Table 'drill\.nowhere' doesn't exist$/m);
    expect(result.drill.probes).toEqual([
      { name: 'an order of 2027', passed: false, value: '0' },
      { name: 'broken', passed: false, error: expect.stringMatching(/nowhere/) },
    ]);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'min_rows:\n  items: many\n');
    const refused = await runCli(['drill', dumps.single, ...drillArgs, '--state-dir', freshState(), '--expect', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/bad\.yaml: min_rows\.items: Expected number, received string$/m);
    expect(drillDirs()).toEqual([]);
  });
});
