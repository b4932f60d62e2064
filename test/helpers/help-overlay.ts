import { expect } from 'vitest';
import { bindingsFor, type Feature, type Screen } from '../../src/ui/keys.js';
import { re, sameAges, type Inspector } from './inspector.js';

/** The help overlay's text without its frame. */
export const overlayLines = (ui: Inspector): string[] =>
  ui
    .lines()
    .filter((l) => l.startsWith('│'))
    .map((l) => l.replace(/^│ ?/, '').replace(/ *│$/, '').trimEnd());

/**
 * Opens `?` on the screen shown now and checks it lists exactly the screen's
 * bindings from the key table (its keys, then what each does), says what the
 * glyphs mean and fits the terminal; then closes it with `closeKey` and checks
 * the screen is as it was (any key closes help and does nothing else).
 */
export async function expectHelpOverlay(ui: Inspector, screen: Screen, opts: { features?: ReadonlySet<Feature>; must?: string[]; not?: string[]; closeKey?: string } = {}): Promise<void> {
  await ui.quiet();
  const before = sameAges(ui.vt.text());
  await ui.type('?');
  await ui.waitFor('Keys on this screen');
  const lines = overlayLines(ui);
  const bindings = bindingsFor(screen, opts.features);
  // Each binding once, its keys before what it does; a pair (j and k, n and N) may share a line.
  const entries = lines.filter((l) => /^\S.* {2,}\S/.test(l) && !/^Keys on/.test(l) && !/^✓ intact/.test(l));
  let found = 0;
  for (const b of bindings) {
    const keys = b.keys.map((k) => (k === 'return' ? 'enter' : k === 'escape' ? 'esc' : k)).join(', ');
    const on = entries.filter((l) => new RegExp(`^(?:\\S.* / )?${re(keys)}(?: / \\S.*?)? {2,}(?:.* / )?${re(b.help)}(?: / .*)?$`).test(l));
    expect(on, `${keys}: ${b.help} in\n${entries.join("\n")}`).toHaveLength(1);
    found++;
  }
  expect(entries.reduce((n, l) => n + (/ \/ .* {2,}.* \/ /.test(l) ? 2 : 1), 0)).toBe(found);
  for (const help of opts.must ?? []) expect(lines.some((l) => l.includes(help)), `${screen} help lists “${help}”`).toBe(true);
  for (const help of opts.not ?? []) expect(lines.some((l) => new RegExp(` {2}${re(help)}`).test(l)), `${screen} help has no “${help}”`).toBe(false);
  expect(ui.vt.text()).toMatch(/✓ intact {2}✗ damaged {2}! could not check {2}· not verified/);
  expect(ui.lines().every((l) => l.length <= ui.vt.term.cols)).toBe(true);
  await ui.type(opts.closeKey ?? 'z');
  await ui.waitFor((t) => !t.includes('Keys on this screen'));
  expect(sameAges(ui.vt.text())).toBe(before);
}
