import { basename, dirname, resolve } from 'node:path';
import type { BackupEntry } from '../../core/inventory/inventory.js';
import { displayPath } from '../../output/format.js';
import type { InspectorSession } from '../session/inspector-session.js';
import type { PromptSpec } from './use-prompt.js';

/** restorable-report-20261201-143012: sorts by time, says what it is. */
export function defaultReportName(at = new Date()): string {
  return `restorable-report-${at.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
}

/**
 * The prompt behind `e`: where to write the report (Enter alone: a dated
 * name in the current folder), then the paths written, or why not.
 */
export function exportPrompt(session: InspectorSession, entries: () => BackupEntry[], title: string, tell: (message: string) => void): PromptSpec {
  const name = defaultReportName();
  return {
    label: `export to (enter: ${name})`,
    onSubmit: (text) => {
      tell('writing the report…');
      const base = resolve(text.trim() || name);
      session.exportReport(entries(), base, title).then(
        // The names first: on a narrow terminal the folder is what gets cut.
        (paths) => tell(`wrote ${paths.map((p) => basename(p)).join(' and ')} in ${displayPath(dirname(paths[0]!)) || '.'}`),
        // The file's own name first, for the same reason.
        (err: unknown) => tell(`no report written: ${(err instanceof Error ? err.message : String(err)).split(`${dirname(base)}/`).join('')}`),
      );
    },
  };
}
