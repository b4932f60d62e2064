import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { BackupRun } from '../../src/core/checks/queue.js';
import { writeDemoSet, type DemoBackup, type DemoRole, type DemoSet } from '../../src/core/demo/demo-set.js';
import type { CheckEvent } from '../../src/core/events/types.js';
import { WorkerPool } from '../../src/core/hash/pool.js';
import { parseLocationArg } from '../../src/core/storage/uri.js';
import { CopyChecks } from '../../src/ui/copies/copy-checks.js';
import { renderInspector } from '../../src/ui/render.js';
import { InspectorSession } from '../../src/ui/session/inspector-session.js';
import { KEYS, VirtualTerminal } from '../../tools/virtual-terminal.js';

/**
 * Under vitest stdout is not a terminal, so chalk (Ink's styling) would drop
 * every colour and attribute, inverse and bold included. The virtual terminal
 * is a colour terminal: style as a real one would, so the tests see what a
 * person sees (and a NO_COLOR test can tell colour from none). The chalk is
 * Ink's own, wherever npm put it.
 */
const inkRequire = createRequire(createRequire(import.meta.url).resolve('ink'));
const { default: chalk } = (await import(pathToFileURL(inkRequire.resolve('chalk')).href)) as { default: { level: number } };
chalk.level = 2;

/** The demo set, written once for a test file (beforeAll) and removed after it (afterAll). */
export function useDemoSet(): { readonly set: DemoSet; byRole(role: DemoRole): DemoBackup & { name: string } } {
  let set: DemoSet | undefined;
  let root: string | undefined;
  beforeAll(async () => {
    // A short path, so that the list's header shows it whole beside the counts at 80 columns.
    root = await realpath(await mkdtemp(join(tmpdir(), 'r-')));
    const pool = new WorkerPool(2);
    try {
      set = await writeDemoSet(join(root, 'demo'), pool);
    } finally {
      await pool.close();
    }
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  return {
    get set() {
      if (!set) throw new Error('the demo set is written in beforeAll');
      return set;
    },
    byRole(role: DemoRole) {
      const b = this.set.backups.find((x) => x.role === role);
      if (!b) throw new Error(`no ${role} backup in the demo set`);
      return { ...b, name: b.file.split('/').pop()! };
    },
  };
}

/** Storage locations for the inspector (--location NAME=URI), and where its ledger is kept. */
export interface LocationOpts {
  locations?: string[];
  stateDir?: string;
  /** whom restore drills (D) run their servers as (--run-as) */
  runAs?: string;
}

/** A pause in a check's event stream: the check stops right after an event matching `match` has been applied. */
interface Gate {
  match: (event: CheckEvent, run: BackupRun) => boolean;
  reached: Promise<void>;
  hit: () => void;
  release: () => void;
  released: Promise<void>;
}

/** The inspector on a virtual terminal (80x24 unless told), as a person would see it. */
export async function openInspector(dirs: string[], size: { columns?: number; rows?: number } = {}, opts: LocationOpts & { ascii?: boolean } = {}) {
  const vt = new VirtualTerminal(size.columns ?? 80, size.rows ?? 24);
  // A ledger of the test's own, never the user's; --location NAME=URI as the command line gives them.
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'restorable-test-state-')));
  const copies = opts.locations?.length ? await CopyChecks.open(opts.locations.map((l) => parseLocationArg(l)), [], stateDir) : undefined;
  const pool = new WorkerPool(2);
  const session = await InspectorSession.open(dirs, { pool, stateDir, copies, runAs: opts.runAs });
  const queue = session.queue;

  // Gates: the real checks run, but a test can hold one still at a chosen event
  // to look at the screen in that state (a 2 MiB file hashes faster than a frame).
  const gates: Gate[] = [];
  const q = queue as unknown as { events: (run: BackupRun, ...rest: unknown[]) => AsyncGenerator<CheckEvent> };
  const events = q.events.bind(queue);
  q.events = async function* (run: BackupRun, ...rest: unknown[]) {
    for await (const event of events(run, ...rest)) {
      yield event; // the queue applies it before asking for the next one
      const gate = gates.find((g) => g.match(event, run));
      if (gate) {
        gates.splice(gates.indexOf(gate), 1);
        gate.hit();
        await gate.released;
      }
    }
  };
  const held: Gate[] = [];

  const backlog = { pending: 0 };
  const instance = renderInspector(session, { stdout: vt.stdout as unknown as NodeJS.WriteStream, stdin: vt.stdin as unknown as NodeJS.ReadStream, ascii: opts.ascii ?? false, backlog });
  /** Until every key read has been handled and the frame that follows is drawn. */
  const quiet = async (ms?: number): Promise<void> => {
    const until = Date.now() + 30_000;
    do {
      await vt.quiet(ms);
      if (Date.now() > until) throw new Error(`${backlog.pending} keys never handled`);
    } while (backlog.pending > 0);
  };
  // As the inspector does once its first frame is out: the size of every backup against its manifests.
  const sizes = new AbortController();
  const sizesChecked = session.checkSizes(sizes.signal);
  // Tests start from the screen a person sees a moment after opening: sizes checked, drawn.
  await sizesChecked;
  // Ink's waitUntilExit only resolves for a caller that asked before the exit.
  let hasExited = false;
  const exited = instance.waitUntilExit().then(() => {
    hasExited = true;
  });
  await vt.quiet();

  /** Waits until the screen shows `pattern` (or fails after `ms`, showing the screen). */
  const waitFor = async (pattern: RegExp | string | ((text: string) => boolean), ms = 30_000): Promise<string> => {
    const until = Date.now() + ms;
    for (;;) {
      await vt.settle(40);
      const text = vt.text();
      const ok = typeof pattern === 'string' ? text.includes(pattern) : pattern instanceof RegExp ? pattern.test(text) : pattern(text);
      if (ok) return text;
      if (Date.now() > until) throw new Error(`screen never showed ${String(pattern)}; it shows:\n${text}`);
    }
  };

  return {
    vt,
    queue,
    session,
    stateDir,
    /** resolves when the size check on open has been through every backup */
    sizesChecked,
    copies,
    instance,
    /** resolves when the inspector has exited */
    exited,
    get hasExited() {
      return hasExited;
    },
    waitFor,
    /** The screen's lines (trailing spaces trimmed, also those of an inverted row). */
    lines: () => vt.lines().map((l) => l.trimEnd()),
    /**
     * Types keys one at a time, each in its own read, as a person does:
     * "jj{enter}" is j, j, enter; then waits for the screen to settle.
     */
    async type(keys: string): Promise<void> {
      for (const part of keys.split(/(\{[a-zA-Z]+\})/).filter(Boolean)) {
        const named = /^\{([a-zA-Z]+)\}$/.exec(part);
        for (const k of named ? [KEYS[named[1]!] ?? part] : [...part]) {
          vt.stdin.push(k);
          await quiet(30); // read and handled before the next key, as a person's keys are
        }
      }
      await quiet(); // and the frame that shows it drawn (Ink draws at most ten a second)
    },
    /** Waits until every key has been read and the frame that follows drawn (see VirtualTerminal.quiet). */
    quiet: () => quiet(),
    /** The row marked as selected (starts with `›`), and its index on the screen. */
    selected(): { index: number; line: string } | undefined {
      const lines = vt.lines().map((l) => l.trimEnd());
      const index = lines.findIndex((l) => l.startsWith('›'));
      return index < 0 ? undefined : { index, line: lines[index]! };
    },
    /**
     * Holds the next check whose event matches at that event, until
     * `release()`; `reached` resolves once it is held.
     */
    pauseAt(match: (event: CheckEvent, run: BackupRun) => boolean): { reached: Promise<void>; release: () => void } {
      let hit!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((r) => (hit = r));
      const released = new Promise<void>((r) => (release = r));
      const gate: Gate = { match, reached, hit, release, released };
      gates.push(gate);
      held.push(gate);
      return { reached, release };
    },
    /** Waits until no check is queued or running (and the screen has caught up). */
    async idle(ms = 20_000): Promise<void> {
      const until = Date.now() + ms;
      while (queue.busy) {
        if (Date.now() > until) throw new Error('checks still running');
        await new Promise((r) => setTimeout(r, 20));
      }
      await quiet(250); // the session draws at most ten times a second
    },
    async close() {
      for (const g of held) g.release();
      gates.length = 0;
      sizes.abort();
      session.close();
      instance.unmount();
      await sizesChecked.catch(() => {});
      await session.flush();
      await pool.close();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export type Inspector = Awaited<ReturnType<typeof openInspector>>;

/** The screen with its ages in seconds made alike: a second may tick between two looks at the same screen. */
export const sameAges = (text: string): string => text.replace(/\b\d+s ago\b/g, 'Ns ago');

/** Escapes text for use inside a RegExp. */
export const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs `fn` with the inspector open on `dirs`, and always closes it. */
export async function withInspectorOn(dirs: string[], fn: (ui: Inspector) => Promise<void>, size?: { columns?: number; rows?: number }, opts?: LocationOpts): Promise<void> {
  const ui = await openInspector(dirs, size, opts);
  try {
    await fn(ui);
  } finally {
    await ui.close();
  }
}

/** The detail screen once its manifests have been read (they load in the background). */
export const detailLoaded = (text: string): boolean => /^Manifests$/m.test(text) && !text.includes('reading…');
