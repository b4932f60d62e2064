#!/usr/bin/env node
// Restore drill benchmark (part of `npm run bench`): a generated plain
// PostgreSQL dump (~200 MB: one table of 3.5 million rows and its primary
// key, as pg_dump writes them), `restorable drill` against the same restore
// done by hand into the same kind of throwaway server (initdb, start with
// the same settings, createdb, psql -f, stop, remove), whole processes,
// rounds interleaved, medians. restorable also scans the dump on its way in
// and counts every table's rows; target at most 1.2x. Seconds per GB of dump
// are printed for both: the figure to plan a restore with.
//
//   node bench/drill.mjs [--runs 3] [--rows 3500000] [--markdown]
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './lib/paths.mjs';
import { log } from './lib/text.mjs';
import { median, timeRounds } from './lib/timing.mjs';
import { flag, option } from './lib/options.mjs';

const runs = Number(option('runs', '3'));
const rows = Number(option('rows', '3500000'));
const TARGET = 1.2;

/** The server programs, where Debian puts them. */
function pgBin() {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)).find((v) => existsSync(join(root, v, 'bin', 'initdb'))) : undefined;
  if (!version) {
    console.log('drill benchmark skipped: the PostgreSQL server programs are not installed (apt-get install postgresql)');
    process.exit(0);
  }
  return join(root, version, 'bin');
}

/** A dump as pg_dump writes it: the table, its COPY block, its primary key after the data, and the trailer. */
function makeDump(path) {
  if (existsSync(path)) return;
  log(`  creating ${path} (${rows} rows)…`);
  const fd = openSync(path, 'w');
  writeSync(fd, '--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = \'UTF8\';\n\n');
  writeSync(fd, 'CREATE TABLE public.orders (\n    id integer NOT NULL,\n    customer text,\n    amount numeric(12,2),\n    created timestamp with time zone\n);\n\n');
  writeSync(fd, 'COPY public.orders (id, customer, amount, created) FROM stdin;\n');
  const day = Date.UTC(2026, 0, 1);
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    chunk += `${i}\tcustomer-${i % 9973}@example.com\t${(i % 100000) / 100}\t${new Date(day + i * 7000).toISOString().replace('T', ' ').replace('Z', '+00')}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, `${chunk}\\.\n\n`);
  writeSync(fd, 'ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);\n\n--\n-- PostgreSQL database dump complete\n--\n\n');
  closeSync(fd);
}

/** The restore a careful person does by hand: a server of its own, with restorable's settings, fed by psql. */
function handScript(bin, dump, parent) {
  const settings = "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB -c maintenance_work_mem=256MB -c max_wal_size=4GB -c checkpoint_timeout=30min -c autovacuum=off";
  return `set -e
d=$(mktemp -d "${parent}/hand-drill-XXXXXX")
trap 'rm -rf "$d"' EXIT
"${bin}/initdb" -D "$d/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
"${bin}/pg_ctl" -D "$d/data" -o "-k $d ${settings}" -w -l "$d/log" start >/dev/null
"${bin}/createdb" -h "$d" -U postgres drill
psql -X -q -v ON_ERROR_STOP=1 -h "$d" -U postgres -d drill -f "${dump}"
"${bin}/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null`;
}


function main() {
  const bin = pgBin();
  // The dump and the servers in a folder the drill's user can reach (as root, the servers run as nobody).
  const dir = join(tmpdir(), 'restorable-bench-drill');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const dump = join(dir, `orders-${rows}.sql`);
  makeDump(dump);
  chmodSync(dump, 0o644);
  const gb = statSync(dump).size / 1e9;
  const root = process.getuid?.() === 0;
  const state = mkdtempSync(join(dir, 'state-'));
  const asUser = (argv) => (root ? ['runuser', '-u', 'nobody', '--', ...argv] : argv);
  // The hand-made restore's servers go in a folder of the user they run as.
  const handDir = join(dir, 'by-hand');
  mkdirSync(handDir, { recursive: true });
  if (root) spawnSync('chown', ['nobody', handDir]);
  const commands = {
    'by hand: initdb, createdb, psql -f, stop': asUser(['bash', '-c', handScript(bin, dump, handDir)]),
    'restorable drill': [process.execPath, CLI, 'drill', dump, '--temp-dir', dir, '--state-dir', state, ...(root ? ['--run-as', 'nobody'] : [])],
  };
  const times = timeRounds(commands, runs);
  rmSync(state, { recursive: true, force: true });
  const [handName, drillName] = Object.keys(commands);
  const hand = median(times[handName]);
  const drill = median(times[drillName]);
  const ratio = drill / hand;
  const verdict = ratio <= TARGET ? 'PASS' : 'FAIL';
  console.log(`restore drill, a ${(gb * 1000).toFixed(0)} MB PostgreSQL dump (${rows} rows), median of ${runs}:`);
  console.log(`  ${handName.padEnd(44)} ${hand.toFixed(2)} s   ${(hand / gb).toFixed(1)} s/GB`);
  console.log(`  ${drillName.padEnd(44)} ${drill.toFixed(2)} s   ${(drill / gb).toFixed(1)} s/GB   ${ratio.toFixed(2)}x   target ≤ ${TARGET}   ${verdict}`);
  if (flag('markdown')) {
    console.log(`\n| drill measurement | median s | s per GB of dump | ratio | target | result |\n|---|---:|---:|---:|---|---|`);
    console.log(`| ${handName} | ${hand.toFixed(2)} | ${(hand / gb).toFixed(1)} | | | |`);
    console.log(`| \`${drillName}\` | ${drill.toFixed(2)} | ${(drill / gb).toFixed(1)} | ${ratio.toFixed(2)} | ≤ ${TARGET} | ${verdict === 'PASS' ? 'pass' : '**missed**'} |`);
  }
}

main();
