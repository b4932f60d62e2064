import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The inspector in a real terminal: tmux runs the built CLI in an 80x24 pane,
 * keys go in with send-keys and the screen comes back with capture-pane.
 * Nothing here is skipped: without tmux these tests fail and say so.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'bin', 'restorable.js');
const SOCKET = `restorable-e2e-${process.pid}-${Date.now().toString(36)}`;
const SESSION = 'inspector';

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
let serverStarted = false;
/** where the server's socket is, to remove it after (a server that exits leaves it behind) */
let socketPath: string | undefined;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm-256color' } });
}

/** Starts a shell command in a fresh 80x24 session of our private tmux server. */
function start(script: string, name = SESSION): void {
  // A ledger of the test's own: the inspector records its checks, never in the user's.
  const isolated = `XDG_STATE_HOME=${sh(join(work, 'state', name))}; export XDG_STATE_HOME; ${script}`;
  tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', 'sh', '-c', isolated);
  serverStarted = true;
  socketPath ??= tmux('display-message', '-p', '-t', name, '#{socket_path}').trim();
}
const screen = (name = SESSION) => tmux('capture-pane', '-p', '-t', name);
const pane = (format: string, name = SESSION) => tmux('display-message', '-p', '-t', name, format).trim();
/** Keys as tmux names them: "V", "Escape", "Enter", "j"… one argument per key. */
const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k);

/** Polls the pane until it shows `pattern`; fails after `ms` with what it showed. */
async function waitFor(pattern: RegExp | ((text: string) => boolean), ms = 30_000, name = SESSION): Promise<string> {
  const until = Date.now() + ms;
  let text = '';
  for (;;) {
    text = screen(name);
    if (typeof pattern === 'function' ? pattern(text) : pattern.test(text)) return text;
    if (Date.now() > until) throw new Error(`the terminal never showed ${String(pattern)}; it shows:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Planted {
  dir: string;
  backups: { file: string; role: string; flipped?: { offset: number; length: number }[]; truncatedTo?: number; truncatedFrom?: number }[];
}

let work: string;
let demo: Planted;
const nameOf = (role: string) => basename(demo.backups.find((b) => b.role === role)!.file);

beforeAll(() => {
  try {
    execFileSync('tmux', ['-V'], { encoding: 'utf8' });
  } catch (err) {
    throw new Error(`tmux is needed for the real-terminal tests and was not found (${(err as Error).message}); install it (apt-get install tmux), as CI does`);
  }
  const cli = join(ROOT, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run npm run build first (npm test does)');
  const built = statSync(cli).mtimeMs;
  const stale = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => /\.tsx?$/.test(f) && statSync(join(ROOT, 'src', f)).mtimeMs > built);
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.slice(0, 3).join(', ')}: run npm run build first (npm test does)`);

  work = realpathSync(mkdtempSync(join(tmpdir(), 'r-e2e-')));
  const dir = join(work, 'demo');
  // what `restorable demo DIR --no-open` writes; --json also says what was planted
  const out = execFileSync(process.execPath, [CLI, 'demo', dir, '--no-open', '--json'], { encoding: 'utf8' });
  demo = JSON.parse(out);
  expect(demo.dir).toBe(dir);
});

afterAll(() => {
  if (serverStarted) {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  }
  if (socketPath) rmSync(socketPath, { force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Bytes of the hex view lines on screen, by absolute offset. */
function hexRows(text: string): { offset: number; bytes: number[] }[] {
  const rows = [];
  for (const line of text.split('\n')) {
    const m = /^(\d{10}) {2}((?:[0-9a-f]{2} ){7}[0-9a-f]{2}) {2}((?:[0-9a-f]{2} ){7}[0-9a-f]{2}) {2}/.exec(line);
    if (m) rows.push({ offset: Number(m[1]!), bytes: `${m[2]} ${m[3]}`.split(' ').map((h) => parseInt(h, 16)) });
  }
  return rows;
}

describe('the inspector in tmux, 80x24', () => {
  it('finds the corrupted backup, maps its damage to the byte, shows its bytes, helps, and quits leaving the terminal as it was', async () => {
    const script = `${sh(process.execPath)} ${sh(CLI)} ${sh(demo.dir)}; echo EXITED:$?; stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo; sleep 30`;
    start(script);
    // Marked on open, before any key: the truncated backup by its size against its manifest.
    const first = await waitFor(/^restorable .* ✗ 1 failed {2}! 1 unchecked {2}· 4 unverified$/m);
    expect(first.split('\n').filter((l) => /\.(tar|sql)\.gz/.test(l))).toHaveLength(6);
    expect(first).toMatch(new RegExp(`^[› ] ✗ size mismatch ${nameOf('truncated').replace(/\./g, '\\.')} `, 'm'));
    expect(first).toMatch(/\? help {2}q quit/);
    // on the alternate screen, with the cursor hidden
    expect(pane('#{alternate_on}')).toBe('1');
    expect(pane('#{cursor_flag}')).toBe('0');

    keys('V');
    const checked = await waitFor(/✓ 3 ok {2}✗ 2 failed {2}! 1 unchecked {2}· 0 unverified/);
    const corrupted = nameOf('corrupted');
    expect(checked).toMatch(new RegExp(`^[› ] ✗ corrupt +${corrupted.replace(/\./g, '\\.')} `, 'm'));
    expect(checked).toMatch(new RegExp(`^[› ] ✗ size mismatch ${nameOf('truncated').replace(/\./g, '\\.')} `, 'm'));
    expect(checked).toMatch(new RegExp(`^[› ] ! no manifest +${nameOf('no-manifest').replace(/\./g, '\\.')} `, 'm'));

    // the block map of the corrupted backup (rows are sorted by name)
    const index = demo.backups.map((b) => basename(b.file)).sort().indexOf(corrupted);
    keys(...Array<string>(index).fill('j'));
    await waitFor(new RegExp(`^› .*${corrupted.replace(/\./g, '\\.')}`, 'm'));
    keys('b');
    const map = await waitFor(/damaged regions[\s\S]*bytes 1245184-1376255/);
    expect(map).toMatch(new RegExp(`^block map ${corrupted.replace(/\./g, '\\.')} {2}39 blocks of 64 KiB$`, 'm'));
    expect(map).toMatch(/^✗ corrupt: 2 damaged regions$/m);
    expect(map).toMatch(/^■{5}X■{13}XX■{18}$/m);
    expect(map).toMatch(/^ {2}corrupt \(confirmed\) blocks? 5(-5)? bytes 327680-393215 \(64 KiB\)$/m);
    expect(map).toMatch(/^ {2}corrupt \(confirmed\) blocks 19-20 bytes 1245184-1376255 \(128 KiB\)$/m);

    keys('n');
    await waitFor(/^block 5 bytes 327680-393215 \(64 KiB\) X corrupt$/m);
    keys('x');
    const hex = await waitFor(/^0000327680 /m);
    expect(hex).toMatch(/^block 5 of .*: bytes 327680-393215 \(64 KiB\), line 1\/4096$/m);
    const bytes = readFileSync(join(demo.dir, corrupted));
    const rows = hexRows(hex);
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) expect(r.bytes, `0x${r.offset.toString(16)}`).toEqual([...bytes.subarray(r.offset, r.offset + 16)]);

    keys('Escape');
    await waitFor(/^block map /m);
    keys('?');
    const help = await waitFor(/Keys on this screen/);
    expect(help).toMatch(/next damaged region/);
    expect(help).toMatch(/hex view of the block under the cursor/);
    keys('z');
    await waitFor((t) => !t.includes('Keys on this screen') && /^block map /m.test(t));

    keys('q');
    const after = await waitFor(/EXITED:\d+/);
    expect(after).toMatch(/^EXITED:0$/m);
    // the alternate screen is gone, and the inspector with it
    expect(after).not.toMatch(/restorable|block map|Regions|help/);
    expect(pane('#{alternate_on}')).toBe('0');
    expect(pane('#{cursor_flag}')).toBe('1');
    // the terminal is back in cooked mode: line editing and echo
    const modes = await waitFor(/^-?icanon -?echo/m);
    expect(modes).toMatch(/^icanon echo\s*$/m);
    tmux('kill-session', '-t', SESSION);
  });

  it('draws in colour on a real terminal, also when CI is set; NO_COLOR takes the colour away and keeps the selection', async () => {
    const colour = /\u001b\[[\d;]*(?:3[1-7]|38;5;\d+|38;2;[\d;]+)m/;
    const inverse = /\u001b\[[\d;]*7m/;
    for (const [name, env, coloured] of [['colour', 'CI=true', true], ['plain', 'NO_COLOR=1', false]] as const) {
      start(`${env} ${sh(process.execPath)} ${sh(CLI)} ${sh(demo.dir)}; sleep 30`, name);
      await waitFor(/· 4 unverified$/m, 30_000, name);
      tmux('send-keys', '-t', name, 'V');
      await waitFor(/✗ 2 failed/, 30_000, name);
      const drawn = tmux('capture-pane', '-p', '-e', '-t', name);
      const failed = drawn.split('\n').find((l) => l.includes(nameOf('corrupted')))!;
      if (coloured) expect(failed).toMatch(colour);
      else expect(drawn).not.toMatch(colour);
      // the selected row is inverted either way (and marked ›)
      expect(drawn.split('\n').find((l) => l.includes('›'))).toMatch(inverse);
      tmux('kill-session', '-t', name);
    }
  });

  it('with LC_ALL=C or TERM=vt100 every glyph and border is ASCII, in the same columns', async () => {
    for (const [name, env] of [['c-locale', 'LC_ALL=C'], ['vt100', 'TERM=vt100']] as const) {
      start(`${env} ${sh(process.execPath)} ${sh(CLI)} ${sh(demo.dir)}; sleep 30`, name);
      await waitFor(/\. 4 unverified$/m, 30_000, name);
      tmux('send-keys', '-t', name, 'V');
      const shown = await waitFor(/X 2 failed/, 30_000, name);
      expect(shown).toMatch(new RegExp(`^[> ] X corrupt +${nameOf('corrupted').replace(/\./g, '\\.')} `, 'm'));
      expect(shown).toMatch(/^restorable .* \+ 3 ok {2}X 2 failed/m);
      tmux('send-keys', '-t', name, '?');
      const help = await waitFor(/Keys on this screen/, 30_000, name);
      expect(help).toMatch(/^\+-+\+$/m); // the border
      // eslint-disable-next-line no-control-regex
      expect(help).not.toMatch(/[^\x00-\x7f]/);
      tmux('kill-session', '-t', name);
    }
  });

  it('restorable FILE opens that backup\'s detail; esc shows the list with it selected; a missing path is exit 2 before anything opens', async () => {
    const truncated = demo.backups.find((b) => b.role === 'truncated')!.file;
    start(`${sh(process.execPath)} ${sh(CLI)} ${sh(truncated)}; echo EXITED:$?; sleep 30`, 'file');
    // the size check on open marks it in the detail too, without a key
    const detail = await waitFor(/^status: ✗ size mismatch found by the quick check/m, 30_000, 'file');
    expect(detail.split('\n')[0]).toBe(basename(truncated));
    tmux('send-keys', '-t', 'file', 'Escape');
    const list = await waitFor(/^restorable /m, 30_000, 'file');
    expect(list).toMatch(new RegExp(`^› ✗ size mismatch ${basename(truncated).replace(/\./g, '\\.')} `, 'm'));
    tmux('send-keys', '-t', 'file', 'q');
    expect(await waitFor(/EXITED:\d+/, 30_000, 'file')).toMatch(/^EXITED:0$/m);
    tmux('kill-session', '-t', 'file');

    start(`${sh(process.execPath)} ${sh(CLI)} ${sh(join(work, 'no-such-folder'))}; echo EXITED:$?; sleep 30`, 'missing');
    const shown = await waitFor(/EXITED:\d+/, 30_000, 'missing');
    expect(shown).toMatch(/^EXITED:2$/m);
    expect(shown).toMatch(/no-such-folder: no such file or folder/);
    expect(pane('#{alternate_on}', 'missing')).toBe('0');
    tmux('kill-session', '-t', 'missing');
  });

  it('with its output piped (restorable DIR | cat) it prints a plain list and never starts the inspector', async () => {
    const out = join(work, 'piped.txt');
    // stdin is the terminal, stdout is not
    start(`${sh(process.execPath)} ${sh(CLI)} ${sh(demo.dir)} | cat | tee ${sh(out)}; echo EXITED:$?; sleep 30`, 'piped');
    const shown = await waitFor(/EXITED:\d+/, 15_000, 'piped');
    expect(shown).toMatch(/^EXITED:0$/m);
    expect(pane('#{alternate_on}', 'piped')).toBe('0');
    const text = readFileSync(out, 'utf8');
    expect(text).not.toMatch(/\u001b/);
    expect(text).toContain(`${demo.dir}: 6 backups`);
    for (const b of demo.backups) expect(text).toMatch(new RegExp(`^ {2}· unverified +${basename(b.file).replace(/\./g, '\\.')} `, 'm'));
    expect(text).toContain('Statuses are the last recorded ones. To check now: restorable verify DIR');
    // what the terminal shows is that same text, with no attributes at all
    const withAttributes = tmux('capture-pane', '-p', '-e', '-t', 'piped');
    expect(withAttributes.split('\n').filter((l) => l.includes('unverified')).every((l) => !l.includes('\u001b'))).toBe(true);
    tmux('kill-session', '-t', 'piped');
  });

  it('without any terminal (restorable DIR | cat from a script) the output has no escape codes', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete env.FORCE_COLOR;
    delete env.NO_COLOR;
    const child = spawn('sh', ['-c', `${sh(process.execPath)} ${sh(CLI)} ${sh(demo.dir)} | cat`], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout + stderr).not.toMatch(/\u001b/);
    expect(stdout.split('\n').filter((l) => /\.(tar|sql)\.gz/.test(l))).toHaveLength(6);
    expect(stdout).toMatch(/^Statuses are the last recorded ones/m);
  });
});
