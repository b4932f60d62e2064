import type { CheckEvent } from '../core/events/types.js';
import { displayPath, formatBytes, formatDuration, formatRate, printable } from './format.js';

const PHASE_VERB = { hash: 'hashing', blocks: 'blocks', reread: 're-reading', read: 'reading' } as const;

/**
 * One status line on stderr, redrawn in place. It is used only when stderr
 * is a terminal; `clear()` before anything else is printed to the terminal.
 */
export class ProgressBar {
  private visible = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  onEvent(event: CheckEvent): void {
    if (event.type !== 'progress') return;
    // A pseudo-terminal may report 0 columns: assume the classic 80.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const pct = event.total > 0 ? Math.min(1, event.done / event.total) : 1;
    const stats = `${String(Math.floor(pct * 100)).padStart(3)}% ${formatBytes(event.done)} ${formatRate(event.bytesPerSec)} ETA ${event.etaSeconds === undefined ? '?' : formatDuration(event.etaSeconds)}`;
    // The file name matters most, then the numbers; the bar takes what room is left.
    let label = `${PHASE_VERB[event.phase]} ${printable(displayPath(event.file))}`;
    const maxLabel = Math.max(12, width - stats.length - 2);
    if (label.length > maxLabel) label = `…${label.slice(-(maxLabel - 1))}`;
    const room = width - label.length - stats.length - 4;
    const barWidth = Math.min(30, room);
    const filled = Math.round(pct * barWidth);
    const bar = barWidth >= 8 ? ` [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]` : '';
    this.stream.write(`\r\u001b[2K${label}${bar} ${stats}`);
    this.visible = true;
  }

  clear(): void {
    if (!this.visible) return;
    this.stream.write('\r\u001b[2K');
    this.visible = false;
  }
}
