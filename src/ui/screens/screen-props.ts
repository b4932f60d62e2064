import type { CheckQueue } from '../../core/checks/queue.js';
import type { BackupEntry } from '../../core/inventory/inventory.js';

/** What every screen about one backup receives. */
export interface BackupScreenProps {
  entry: BackupEntry;
  queue: CheckQueue;
  width: number;
  height: number;
  /** false while an overlay (help, a question) has the keys */
  active: boolean;
  onBack: () => void;
}
