import type { CheckEvent } from '../core/events/types.js';
import { displayPath, formatBytes, formatDuration, formatRate } from './format.js';

const PHASE_VERB = { hash: 'hashing', blocks: 'blocks', reread: 're-reading' } as const;

/**
 * One status line on stderr, redrawn in place. It is used only when stderr
 * is a terminal; `clear()` before anything else is printed to the terminal.
 */
export class ProgressBar {
  private visible = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  onEvent(event: CheckEvent): void {
    if (event.type !== 'progress') return;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    const pct = event.total > 0 ? Math.min(1, event.done / event.total) : 1;
    const stats = `${String(Math.floor(pct * 100)).padStart(3)}% ${formatBytes(event.done)} ${formatRate(event.bytesPerSec)} ETA ${event.etaSeconds === undefined ? '?' : formatDuration(event.etaSeconds)}`;
    const label = `${PHASE_VERB[event.phase]} ${displayPath(event.file)}`;
    const barWidth = Math.max(10, Math.min(30, width - stats.length - 14));
    const filled = Math.round(pct * barWidth);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`;
    const room = width - bar.length - stats.length - 3;
    const shownLabel = room <= 3 ? '' : label.length > room ? `…${label.slice(-(room - 1))}` : label;
    this.stream.write(`\r\u001b[2K${shownLabel} ${bar} ${stats}`.slice(0, width + 5));
    this.visible = true;
  }

  clear(): void {
    if (!this.visible) return;
    this.stream.write('\r\u001b[2K');
    this.visible = false;
  }
}
