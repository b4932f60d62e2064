import { printable } from '../../output/format.js';
import type { BackupEntry } from '../../core/inventory/inventory.js';
import type { CopyChecks } from '../copies/copy-checks.js';
import { useKeys } from '../hooks/use-keys.js';
import { useSession } from '../session/use-session.js';
import { StepsView } from './steps-screen.js';

/**
 * A heal as it runs, on the deep check's step list: read the damaged copy,
 * fetch the bad blocks, verify, replace; then every copy checked again.
 * Esc cancels it, and a cancelled heal leaves nothing behind.
 */
export function HealScreen({ entry, copies, width, height, active, onBack }: { entry: BackupEntry; copies: CopyChecks; width: number; height: number; active: boolean; onBack: () => void }) {
  const run = copies.run(entry);
  useKeys('heal', { back: () => (run?.state === 'running' ? copies.cancel(entry) : undefined, onBack()) }, active);
  const title = `heal ${printable(entry.name)} in ${run?.target ?? '?'}`;
  const notes = (run?.findings ?? []).filter((f) => f.severity === 'info').map((f) => f.message);
  const healed = run?.result?.findings[0]?.message;
  return <StepsView title={title} run={run} frame={Math.floor(useSession().getSnapshot() / 2)} width={width} height={height} cancelled="cancelled; nothing was kept" notes={healed ? [healed, ...notes] : notes} />;
}
