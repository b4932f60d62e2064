import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import type { BackupRun } from '../src/core/checks/queue.js';
import { writeDemoSet, type DemoSet } from '../src/core/demo/demo-set.js';
import { WorkerPool } from '../src/core/hash/pool.js';
import { parseLocationArg } from '../src/core/storage/uri.js';
import { CopyChecks } from '../src/ui/copies/copy-checks.js';
import { renderInspector } from '../src/ui/render.js';
import { InspectorSession } from '../src/ui/session/inspector-session.js';
import { cellsToSvg } from './terminal-svg.js';
import { VirtualTerminal } from './virtual-terminal.js';

/**
 * Drives the inspector over the demo set on a virtual 80x24 terminal and
 * saves each screen as SVG and PNG. Run by tools/screenshots.mjs (npm run
 * screenshots), which bundles this file and sets FORCE_COLOR before Ink loads.
 */

const COLUMNS = 80;
const ROWS = 24;
const PNG_ZOOM = 2;

export interface ScreenshotOptions {
  /** where the SVG and PNG files go */
  outDir: string;
  log?: (line: string) => void;
}

interface Fonts {
  files: string[];
  family: string | undefined;
}

/** A monospace font resvg can use for the PNGs: DejaVu Sans Mono if there, else any monospace one fontconfig knows. */
export function findMonoFonts(): Fonts {
  const found: { file: string; family: string; style: string }[] = [];
  try {
    const out = execFileSync('fc-list', [':spacing=mono', 'file', 'family', 'style'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const line of out.split('\n')) {
      const m = /^(.+?): ([^:]+?)(?::style=(.*))?$/.exec(line.trim());
      if (m && /\.(ttf|otf|ttc)$/i.test(m[1]!)) found.push({ file: m[1]!, family: m[2]!.split(',')[0]!, style: m[3] ?? '' });
    }
  } catch {
    // no fontconfig: look where Debian and Fedora put DejaVu
    for (const dir of ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu-sans-mono-fonts', '/usr/share/fonts/TTF']) {
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (/^DejaVuSansMono(-Bold)?\.ttf$/.test(f)) found.push({ file: join(dir, f), family: 'DejaVu Sans Mono', style: f.includes('Bold') ? 'Bold' : 'Book' });
    }
  }
  const preferred = ['DejaVu Sans Mono', 'Liberation Mono', 'Noto Sans Mono', 'Ubuntu Mono'];
  const family = preferred.find((p) => found.some((f) => f.family === p)) ?? found[0]?.family;
  const files = found.filter((f) => f.family === family && !/oblique|italic/i.test(f.style)).map((f) => f.file);
  return { files, family };
}

function toPng(svg: string, fonts: Fonts): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: PNG_ZOOM },
    font: fonts.family
      ? { fontFiles: fonts.files, loadSystemFonts: false, defaultFontFamily: fonts.family, monospaceFamily: fonts.family }
      : { loadSystemFonts: true },
  });
  return resvg.render().asPng();
}

/**
 * Where the demo set goes. Its path is shown in the list's title line, so
 * a short, fixed one (/tmp/backups) keeps the screenshots the same from run
 * to run and leaves the title room for the counts; a fresh temp folder when
 * that one is taken by something that is not a demo set.
 */
function demoFolder(): { dir: string; cleanup: () => void } {
  const fixed = join(tmpdir(), 'backups');
  const usable = !existsSync(fixed) || readdirSync(fixed).length === 0 || existsSync(join(fixed, '.restorable-demo'));
  if (usable && fixed.length <= 18) return { dir: fixed, cleanup: () => rmSync(fixed, { recursive: true, force: true }) };
  const base = mkdtempSync(join(tmpdir(), 'restorable-'));
  return { dir: join(base, 'backups'), cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export async function main(opts: ScreenshotOptions): Promise<string[]> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const fonts = findMonoFonts();
  if (!fonts.family) log('screenshots: no monospace font found (fc-list :spacing=mono); PNGs use whatever fonts resvg finds');
  mkdirSync(opts.outDir, { recursive: true });

  const folder = demoFolder();
  const written: string[] = [];
  let set: DemoSet;
  {
    const pool = new WorkerPool(2);
    try {
      set = await writeDemoSet(folder.dir, pool);
    } finally {
      await pool.close();
    }
  }
  const corrupted = set.backups.find((b) => b.role === 'corrupted')!.file;
  const corruptedName = basename(corrupted);

  const vt = new VirtualTerminal(COLUMNS, ROWS);
  const pool = new WorkerPool(2);
  // A ledger of the screenshots' own: the pictures never show what this machine checked before.
  const stateDir = mkdtempSync(join(tmpdir(), 'restorable-shots-state-'));
  const session = await InspectorSession.open([set.dir], { pool, stateDir, concurrency: 2 });
  const { queue, inventory } = session;
  const instance = renderInspector(session, { stdout: vt.stdout as unknown as NodeJS.WriteStream, stdin: vt.stdin as unknown as NodeJS.ReadStream, ascii: false });
  await session.checkSizes();

  const waitUntil = async (what: string, ready: (text: string) => boolean, ms = 30_000): Promise<void> => {
    const until = Date.now() + ms;
    for (;;) {
      await vt.settle(50);
      if (ready(vt.text())) return;
      if (Date.now() > until) throw new Error(`screenshots: waited ${ms / 1000}s for ${what}; the screen shows:\n${vt.text()}`);
    }
  };
  /** Waits until two frames in a row are the same (Ink draws at most every 100 ms). */
  const steady = async (): Promise<void> => {
    let last = '';
    for (let i = 0; i < 50; i++) {
      await vt.settle(160);
      const now = JSON.stringify(vt.cells());
      if (now === last) return;
      last = now;
    }
  };
  const finished = (run: BackupRun | undefined) => run !== undefined && run.state !== 'queued' && run.state !== 'running';
  /** A check of `file` started after `before` that has ended. */
  const newRunEnded = (file: string, before: BackupRun | undefined) => () => {
    const run = queue.get(file);
    return run !== before && finished(run);
  };
  const firstLine = () => vt.lines()[0] ?? '';
  const shoot = async (name: string, title: string, on = vt): Promise<void> => {
    await steady();
    const svg = cellsToSvg(on.cells(), { title: `restorable inspector: ${title}` });
    const svgPath = join(opts.outDir, `${name}.svg`);
    const pngPath = join(opts.outDir, `${name}.png`);
    writeFileSync(svgPath, svg);
    writeFileSync(pngPath, toPng(svg, fonts));
    written.push(svgPath, pngPath);
    log(`  ${name}.svg, ${name}.png`);
  };

  /** The detail of `name` with its copies checked, the damaged one selected. */
  const shootCopies = async (on: VirtualTerminal, name: string, copies: CopyChecks): Promise<void> => {
    const until = async (what: string, ready: (text: string) => boolean) => {
      for (let i = 0; !ready(on.text()); i++) {
        if (i > 300) throw new Error(`screenshots: waited for ${what}; the screen shows:\n${on.text()}`);
        await on.settle(100);
      }
    };
    await until('the backup list', (t) => t.includes(name));
    for (let i = 0; i < inventory.backups.length && !on.lines().some((l) => l.startsWith('›') && l.includes(name)); i++) {
      on.press('j');
      await on.settle(120);
    }
    on.press('{enter}');
    await until('the copies', (t) => /^Copies/m.test(t) && !t.includes('reading…'));
    on.press('c');
    await until('every copy checked', (t) => copies.run(inventory.backups.find((b) => b.name === name)!)?.state === 'done' && /offsite +✗/.test(t));
    on.press('j');
    on.press('j');
    await until('the damaged copy selected', (t) => /^ +✗ offsite: /m.test(t));
    await shoot('copies', `every copy of ${name}: this machine, nas and offsite (damaged)`, on);
  };

  try {
    await waitUntil('the backup list', (t) => /unverified/.test(t) && t.includes(corruptedName));

    // 1. The list after V, once every backup has a result.
    vt.press('V');
    await waitUntil('every backup to be checked', () => inventory.backups.every((b) => finished(queue.get(b.file))));
    await waitUntil('the corrupted backup shown as corrupt', (t) => new RegExp(`✗ corrupt +${corruptedName.replace(/\./g, '\\.')}`).test(t));
    await shoot('list', 'the backup list after V (verify all)');

    // 2. Its detail screen: move the selection (the row marked ›) to it, then enter.
    for (let i = 0; i < inventory.backups.length && !vt.lines().some((l) => l.startsWith('›') && l.includes(corruptedName)); i++) {
      vt.press('j');
      await vt.settle(120);
    }
    if (!vt.lines().some((l) => l.startsWith('›') && l.includes(corruptedName))) throw new Error(`screenshots: could not select ${corruptedName}:\n${vt.text()}`);
    vt.press('{enter}');
    await waitUntil('the detail screen', (t) => firstLine().trim() === corruptedName && t.includes('Manifests') && !t.includes('reading…'));
    await shoot('detail', `detail of ${corruptedName}`);

    // 3. v: the verify screen, once the check has ended.
    let before = queue.get(corrupted);
    vt.press('v');
    await waitUntil('the verify screen', () => firstLine().startsWith('verify '));
    await waitUntil('verification to end', newRunEnded(corrupted, before));
    await waitUntil('the result on the verify screen', (t) => /mismatch\n  expected .*\n  actual   /.test(t));
    await shoot('hash', `verify ${corruptedName}: expected against actual digests`);

    // 4. esc, b: the block map; when the check has ended, n to the first damaged region.
    vt.press('{escape}');
    await waitUntil('the detail screen again', () => firstLine().trim() === corruptedName);
    before = queue.get(corrupted);
    vt.press('b');
    await waitUntil('the block map screen', () => firstLine().startsWith('block map '));
    await waitUntil('the block check to end', newRunEnded(corrupted, before));
    await waitUntil('the damaged regions', (t) => /corrupt \(\w+\) +blocks/.test(t));
    vt.press('n');
    await waitUntil('the cursor on the first damaged region', (t) => /^block \d+ bytes .*corrupt/m.test(t) && !/^block 0 bytes/m.test(t));
    await shoot('blocks', `block map of ${corruptedName}, cursor on the first damaged region`);

    // 5. x: the hex view of that block.
    vt.press('x');
    await waitUntil('the hex view', (t) => /^block \d+ of /.test(firstLine()) && /^[0-9a-f]{10} {2}[0-9a-f]{2} /m.test(t));
    await shoot('hex', 'hex view of the first damaged block');

    // 6. esc back to the block map, ?: the help.
    vt.press('{escape}');
    await waitUntil('the block map again', () => firstLine().startsWith('block map '));
    vt.press('?');
    await waitUntil('the help', (t) => t.includes('Keys on this screen'));
    await shoot('help', 'help (?) on the block map screen');
    // The deep check of the corrupted backup, from the list: its steps and the salvage report.
    vt.press('{escape}');
    await waitUntil('the block map again', () => firstLine().startsWith('block map '));
    vt.press('{escape}');
    await waitUntil('the detail screen again', () => firstLine().trim() === corruptedName);
    vt.press('d');
    await waitUntil('the deep check to end', (t) => /^✗ damaged tar\+gzip/m.test(t));
    await shoot('deep', `deep check of ${corruptedName}: the salvage report`);
    instance.unmount();

    // 7. Storage locations: a healthy backup with a good copy in "nas" and a damaged one in "offsite".
    const healthy = set.backups.find((b) => b.role === 'healthy')!.file;
    const places = `${folder.dir}-copies`;
    for (const name of ['nas', 'offsite', 'state']) mkdirSync(join(places, name), { recursive: true });
    copyFileSync(healthy, join(places, 'nas', basename(healthy)));
    const damaged = readFileSync(healthy);
    damaged.write('rotten', 70_000);
    writeFileSync(join(places, 'offsite', basename(healthy)), damaged);
    const copies = await CopyChecks.open(['nas', 'offsite'].map((n) => parseLocationArg(`${n}=${join(places, n)}`)), [], join(places, 'state'));
    const vt2 = new VirtualTerminal(COLUMNS, ROWS);
    const withCopies = await InspectorSession.open([set.dir], { pool, stateDir, copies, concurrency: 2 });
    const second = renderInspector(withCopies, { stdout: vt2.stdout as unknown as NodeJS.WriteStream, stdin: vt2.stdin as unknown as NodeJS.ReadStream, ascii: false });
    try {
      await shootCopies(vt2, basename(healthy), copies);
    } finally {
      second.unmount();
      withCopies.close();
      rmSync(places, { recursive: true, force: true });
    }
  } finally {
    instance.unmount();
    session.close();
    await session.flush();
    await pool.close();
    folder.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return written;
}
