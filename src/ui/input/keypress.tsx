import { useInput } from 'ink';
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { keyNames } from '../keys.js';

/**
 * Who hears a key first: Ctrl-C always; then an overlay (help), a prompt
 * (a question, the filter being typed), the screen, and last the app's
 * own keys (q, ?). A listener that takes a key stops it there, so a prompt
 * never lets `q` through to quit.
 */
export const PRIORITY = { interrupt: 100, overlay: 50, prompt: 40, screen: 0, app: -10 } as const;

/** Gets one key name ('j', 'return', 'ctrl+c'…); returns true when it took the key. */
export type KeyListener = (name: string) => boolean | void;

interface Entry {
  priority: number;
  active: boolean;
  listener: KeyListener;
}

const Registry = createContext<Set<Entry> | undefined>(undefined);

/**
 * One reader of the terminal's input for the whole inspector. Keys that
 * arrive in one read (fast typing, SSH batching, a paste) are handed out
 * one at a time, each after the screen has caught up with the previous
 * one: `j` then Enter opens the backup below, `/doc⏎` filters by "doc".
 */
export function KeypressProvider({ children, backlog }: { children: ReactNode; /** told how many keys wait (a test waits for 0) */ backlog?: { pending: number } }) {
  const entries = useRef(new Set<Entry>()).current;
  const waiting = useRef<string[]>([]);
  const [turn, setTurn] = useState(0);
  const handOut = () => {
    const name = waiting.current.shift();
    if (name === undefined) return;
    const listening = [...entries].filter((e) => e.active).sort((a, b) => b.priority - a.priority);
    for (const e of listening) if (e.listener(name) === true) break;
  };
  const settle = () => {
    if (backlog) backlog.pending = waiting.current.length;
    if (waiting.current.length > 0) setTurn((t) => t + 1);
  };
  useInput((input, key) => {
    const idle = waiting.current.length === 0;
    waiting.current.push(...keyNames(input, key));
    // The screen is up to date with every key before: this one is handled now, not a render later
    // (while V runs, each render waits its turn behind the hash threads' results).
    if (idle) handOut();
    settle();
  });
  // Runs after the children's effects: every listener is the one of the latest render.
  useEffect(() => {
    handOut();
    settle();
  }, [turn]);
  return <Registry.Provider value={entries}>{children}</Registry.Provider>;
}

/** Listens to keys at a priority while `active`; the latest listener of each render is the one called. */
export function useKeypress(listener: KeyListener, opts: { priority: number; active?: boolean }): void {
  const entries = useContext(Registry);
  if (!entries) throw new Error('useKeypress needs a KeypressProvider above it');
  const entry = useRef<Entry>({ priority: opts.priority, active: true, listener }).current;
  entry.listener = listener;
  entry.priority = opts.priority;
  entry.active = opts.active ?? true;
  useEffect(() => {
    entries.add(entry);
    return () => void entries.delete(entry);
  }, [entries, entry]);
}
