import type { Key } from 'ink';

/**
 * The one key table: it drives input, the key bar and the `?` help overlay,
 * so what the help says is what the keys do.
 */
export type Screen = 'list' | 'detail' | 'hash' | 'blocks' | 'hex' | 'steps' | 'heal';
export type Action =
  | 'quit' | 'help' | 'back'
  | 'up' | 'down' | 'left' | 'right' | 'top' | 'bottom' | 'pageUp' | 'pageDown'
  | 'open' | 'verify' | 'verifyAll' | 'blockMap' | 'deep' | 'restore' | 'drill' | 'create' | 'filter' | 'sort'
  | 'reverse' | 'failuresOnly' | 'nextFailure' | 'prevFailure' | 'goTo' | 'search' | 'nextMatch' | 'copy' | 'export'
  | 'nextRegion' | 'prevRegion' | 'hex' | 'pane' | 'sideBySide'
  | 'location' | 'checkCopies' | 'heal';

/** Bindings that only mean something with storage locations configured (--location). */
export type Feature = 'locations';

export interface Binding {
  keys: string[];
  /** as shown in the key bar and the help */
  label: string;
  help: string;
  action: Action;
  screens: Screen[] | 'all';
  /** shown in the key bar, as `label short` */
  bar?: boolean;
  short?: string;
  /** shown (bar and help) only when this feature is on */
  needs?: Feature;
}

export const BINDINGS: Binding[] = [
  { keys: ['up', 'k'], label: '↑/k', help: 'move up', action: 'up', screens: ['list', 'blocks', 'hex'] },
  { keys: ['down', 'j'], label: '↓/j', help: 'move down', action: 'down', screens: ['list', 'blocks', 'hex'] },
  { keys: ['left', 'h'], label: '←/h', help: 'move left', action: 'left', screens: ['blocks'] },
  { keys: ['right', 'l'], label: '→/l', help: 'move right', action: 'right', screens: ['blocks'] },
  { keys: ['up', 'k'], label: '↑/k', help: 'select the copy above', action: 'up', screens: ['detail'], needs: 'locations' },
  { keys: ['down', 'j'], label: '↓/j', help: 'select the copy below', action: 'down', screens: ['detail'], needs: 'locations' },
  { keys: ['g', 'home'], label: 'g', help: 'go to the first', action: 'top', screens: ['list', 'blocks', 'hex'] },
  { keys: ['G', 'end'], label: 'G', help: 'go to the last', action: 'bottom', screens: ['list', 'blocks', 'hex'] },
  { keys: ['pageUp'], label: 'PgUp', help: 'page up', action: 'pageUp', screens: ['list', 'hex'] },
  { keys: ['pageDown'], label: 'PgDn', help: 'page down', action: 'pageDown', screens: ['list', 'hex'] },
  { keys: ['pageUp'], label: 'PgUp', help: 'scroll the findings up', action: 'pageUp', screens: ['detail', 'steps'] },
  { keys: ['pageDown'], label: 'PgDn', help: 'scroll the findings down', action: 'pageDown', screens: ['detail', 'steps'] },
  // With locations these come first in the key bar: on 80 columns the last ones drop off.
  { keys: ['tab'], label: 'tab', help: 'next location: this machine, then each storage location', action: 'location', screens: ['list'], bar: true, short: 'location', needs: 'locations' },
  { keys: ['return'], label: '↵', help: 'open the backup', action: 'open', screens: ['list'], bar: true, short: 'open' },
  { keys: ['v'], label: 'v', help: 'verify (hash against every manifest)', action: 'verify', screens: ['list', 'detail'], bar: true, short: 'verify' },
  { keys: ['c'], label: 'c', help: 'check every copy of this backup, in every location', action: 'checkCopies', screens: ['detail'], bar: true, short: 'copies', needs: 'locations' },
  { keys: ['h'], label: 'h', help: 'heal the selected damaged copy from a verified one (asks first)', action: 'heal', screens: ['detail'], bar: true, short: 'heal', needs: 'locations' },
  { keys: ['V'], label: 'V', help: 'verify every backup listed', action: 'verifyAll', screens: ['list'], bar: true, short: 'all' },
  { keys: ['b'], label: 'b', help: 'block map: verify block by block, locate damage', action: 'blockMap', screens: ['list', 'detail'], bar: true, short: 'blocks' },
  { keys: ['d'], label: 'd', help: 'deep check: extract every member into a sandbox', action: 'deep', screens: ['list', 'detail'], bar: true, short: 'deep' },
  { keys: ['r'], label: 'r', help: 'test restore into a temp folder, timed', action: 'restore', screens: ['list', 'detail'], bar: true, short: 'restore' },
  // Not in the key bar (it would push / and esc off 80 columns); in the help.
  { keys: ['D'], label: 'D', help: 'restore drill of a dump: a throwaway server', action: 'drill', screens: ['list', 'detail'] },
  { keys: ['m'], label: 'm', help: 'create a manifest and block map (asks first)', action: 'create', screens: ['detail'], bar: true, short: 'manifest' },
  { keys: ['/'], label: '/', help: 'filter by name', action: 'filter', screens: ['list'], bar: true, short: 'filter' },
  { keys: ['s'], label: 's', help: 'sort: name, age, size, status', action: 'sort', screens: ['list'] },
  { keys: ['S'], label: 'S', help: 'reverse the sort', action: 'reverse', screens: ['list'] },
  { keys: ['f'], label: 'f', help: 'failures only (again: every backup)', action: 'failuresOnly', screens: ['list'], bar: true, short: 'failures' },
  { keys: [']'], label: ']', help: 'next damaged backup', action: 'nextFailure', screens: ['list'] },
  { keys: ['['], label: '[', help: 'previous damaged backup', action: 'prevFailure', screens: ['list'] },
  { keys: ['n'], label: 'n/N', help: 'next damaged region', action: 'nextRegion', screens: ['blocks'], bar: true, short: 'region' },
  { keys: ['N'], label: 'N', help: 'previous damaged region', action: 'prevRegion', screens: ['blocks'] },
  { keys: ['x'], label: 'x', help: 'hex view of the block under the cursor', action: 'hex', screens: ['blocks'], bar: true, short: 'hex' },
  { keys: [':'], label: ':', help: 'go to a block (7) or a byte (@7340032, 0x700000)', action: 'goTo', screens: ['blocks'], bar: true, short: 'go to' },
  { keys: [':'], label: ':', help: 'go to a byte offset (decimal, or 0x…)', action: 'goTo', screens: ['hex'], bar: true, short: 'go to' },
  { keys: ['/'], label: '/', help: 'search bytes (de ad be ef) or text ("cafe")', action: 'search', screens: ['hex'], bar: true, short: 'search' },
  { keys: ['n'], label: 'n', help: 'next match, copy difference, or zero run', action: 'nextMatch', screens: ['hex'], bar: true, short: 'next' },
  { keys: ['d'], label: 'd', help: 'side by side with a verified copy elsewhere (differing bytes marked)', action: 'sideBySide', screens: ['hex'], needs: 'locations' },
  { keys: ['tab'], label: 'tab', help: 'switch between the grid and the region list', action: 'pane', screens: ['blocks'], bar: true, short: 'pane' },
  { keys: ['y'], label: 'y', help: 'copy the path (OSC 52: works over SSH)', action: 'copy', screens: ['list', 'detail'] },
  { keys: ['y'], label: 'y', help: 'copy the path and the block\'s byte range', action: 'copy', screens: ['blocks'] },
  { keys: ['y'], label: 'y', help: 'copy the path and the byte offset shown', action: 'copy', screens: ['hex'] },
  { keys: ['e'], label: 'e', help: 'export a report of the failures (.md, .json)', action: 'export', screens: ['list'] },
  { keys: ['e'], label: 'e', help: 'export a report of this backup (.md, .json)', action: 'export', screens: ['detail'] },
  { keys: ['escape'], label: 'esc', help: 'back (cancels a running check)', action: 'back', screens: ['detail', 'hash', 'blocks', 'hex', 'steps', 'heal'], bar: true, short: 'back' },
  { keys: ['?'], label: '?', help: 'help', action: 'help', screens: 'all', bar: true, short: 'help' },
  { keys: ['q', 'ctrl+c'], label: 'q', help: 'quit', action: 'quit', screens: 'all', bar: true, short: 'quit' },
];

/** Ink's (input, key) as one name: 'j', 'G', 'up', 'return', 'backspace', 'ctrl+c'… */
export function keyName(input: string, key: Key): string {
  if (key.ctrl && input === 'c') return 'ctrl+c';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageUp';
  if (key.pageDown) return 'pageDown';
  if (key.return) return 'return';
  if (key.escape) return 'escape';
  if (key.tab) return 'tab';
  // Terminals send DEL for the backspace key; Ink reports it as delete.
  if (key.backspace || key.delete) return 'backspace';
  if ((key as { home?: boolean }).home) return 'home';
  if ((key as { end?: boolean }).end) return 'end';
  return input;
}

/** A control character inside a run of typed text, by the name its key has. */
const CONTROL: Record<string, string> = { '\r': 'return', '\n': 'return', '\t': 'tab', '\x7f': 'backspace', '\b': 'backspace', '\x03': 'ctrl+c', '\x1b': 'escape' };

/**
 * Key names in one input event: keys typed faster than the terminal is read
 * (or pasted) arrive together, as "jjj" or "j\r"; each counts, in order.
 */
export function keyNames(input: string, key: Key): string[] {
  const name = keyName(input, key);
  if (name === input && input.length > 1 && !key.ctrl && !key.meta) return [...input].map((c) => CONTROL[c] ?? c);
  return [name];
}

/** A key that types itself (the filter prompt): one printable character. */
export const isPrintable = (name: string): boolean => [...name].length === 1 && name >= ' ' && name !== '\x7f';

/** The bindings of a screen, as the bar and the help show them: those of features that are off left out. */
export function bindingsFor(screen: Screen, features: ReadonlySet<Feature> = new Set()): Binding[] {
  return BINDINGS.filter((b) => (b.screens === 'all' || b.screens.includes(screen)) && (!b.needs || features.has(b.needs)));
}

/** A feature's key does nothing without it (its screen binds no handler), so input needs no feature list. */
export function actionFor(screen: Screen, name: string): Action | undefined {
  return bindingsFor(screen, ALL_FEATURES).find((b) => b.keys.includes(name))?.action;
}

const ALL_FEATURES: ReadonlySet<Feature> = new Set(['locations']);
