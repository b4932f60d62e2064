import { Box, useApp } from 'ink';
import { useState } from 'react';
import type { BackupEntry } from '../core/inventory/inventory.js';
import { HelpOverlay } from './components/help-overlay.js';
import { KeyBar } from './components/key-bar.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { useSession } from './session/use-session.js';
import type { StepsKind } from '../core/checks/queue.js';
import { PRIORITY, useKeypress } from './input/keypress.js';
import { actionFor, type Feature, type Screen } from './keys.js';
import { BlocksScreen } from './screens/blocks-screen.js';
import { DetailScreen } from './screens/detail-screen.js';
import { HashScreen } from './screens/hash-screen.js';
import { HealScreen } from './screens/heal-screen.js';
import { HexScreen } from './screens/hex-screen.js';
import { ListScreen } from './screens/list-screen.js';
import { StepsScreen } from './screens/steps-screen.js';

type View =
  | { screen: 'list' }
  | { screen: 'detail'; entry: BackupEntry }
  | { screen: 'hash'; entry: BackupEntry }
  | { screen: 'blocks'; entry: BackupEntry }
  | { screen: 'hex'; entry: BackupEntry; block: { index: number; offset: number; size: number } }
  | { screen: 'steps'; entry: BackupEntry; kind: StepsKind }
  | { screen: 'heal'; entry: BackupEntry };

/**
 * The inspector: a stack of screens over one session (backups, checks,
 * copies, ledger). Global keys (q, ?, Ctrl-C) live here; each screen binds
 * its own from the same key table.
 */
export function App() {
  const session = useSession();
  const { queue } = session;
  const copies = session.copies && session.copies.locations.length > 0 ? session.copies : undefined;
  const features = new Set<Feature>(copies ? ['locations'] : []);
  // After manifests were written, list the folders again so the rows show them.
  const rescan = () => void session.rescan();
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  // `restorable FILE` opens on that backup's detail, with the list behind it.
  const [stack, setStack] = useState<View[]>(() => {
    const entry = session.inventory.backups.find((b) => b.file === session.focus);
    return entry ? [{ screen: 'list' }, { screen: 'detail', entry }] : [{ screen: 'list' }];
  });
  const [help, setHelp] = useState(false);
  const view = stack[stack.length - 1]!;
  const push = (v: View) => setStack((s) => [...s, v]);
  const back = () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s));
  const quit = () => {
    session.close();
    exit();
  };

  useKeypress((name) => name === 'ctrl+c' && (quit(), true), { priority: PRIORITY.interrupt });
  // Help takes the key that closes it: `?` then `q` closes help, it does not quit.
  useKeypress(() => (setHelp(false), true), { priority: PRIORITY.overlay, active: help });
  useKeypress(
    (name) => {
      const action = actionFor(view.screen, name);
      if (action === 'quit') quit();
      else if (action === 'help') setHelp(true);
      else return false;
      return true;
    },
    { priority: PRIORITY.app },
  );

  // One row short of the terminal: the last line never scrolls the screen.
  const height = Math.max(6, rows - 1);
  const body = height - 1;
  const verify = (entry: BackupEntry) => {
    queue.enqueue(entry.file, 'verify');
    push({ screen: 'hash', entry });
  };
  const blocks = (entry: BackupEntry) => {
    queue.enqueue(entry.file, 'blocks');
    push({ screen: 'blocks', entry });
  };
  const steps = (entry: BackupEntry, kind: StepsKind) => {
    session.enqueue(entry.file, kind);
    push({ screen: 'steps', entry, kind });
  };
  const screen: Screen = view.screen;
  // Every screen of the stack stays mounted (hidden), so going back finds it as it was left.
  const render = (v: View, active: boolean) => {
    switch (v.screen) {
      case 'list':
        return (
          <ListScreen
            session={session}
            width={columns}
            height={body}
            active={active}
            onOpen={(entry) => push({ screen: 'detail', entry })}
            onVerify={(entry) => session.enqueue(entry.file, 'verify')}
            onBlocks={blocks}
            onSteps={steps}
            copies={copies}
          />
        );
      case 'detail':
        return <DetailScreen entry={v.entry} queue={queue} width={columns} height={body} active={active} onBack={back} onVerify={() => verify(v.entry)} onBlocks={() => blocks(v.entry)} onSteps={(kind) => steps(v.entry, kind)} onWritten={rescan} copies={copies} onHeal={() => push({ screen: 'heal', entry: v.entry })} />;
      case 'hash':
        return <HashScreen entry={v.entry} queue={queue} width={columns} height={body} active={active} onBack={back} />;
      case 'blocks':
        return <BlocksScreen entry={v.entry} queue={queue} width={columns} height={body} active={active} onBack={back} onHex={(block) => push({ screen: 'hex', entry: v.entry, block })} />;
      case 'hex':
        return <HexScreen entry={v.entry} block={v.block} width={columns} height={body} active={active} onBack={back} copies={copies} />;
      case 'steps':
        return <StepsScreen entry={v.entry} kind={v.kind} queue={queue} width={columns} height={body} active={active} onBack={back} />;
      case 'heal':
        return <HealScreen entry={v.entry} copies={copies!} width={columns} height={body} active={active} onBack={back} />;
    }
  };
  return (
    <Box flexDirection="column" width={columns} height={height}>
      {help && (
        <Box height={body}>
          <HelpOverlay screen={screen} width={columns} height={body} features={features} />
        </Box>
      )}
      {stack.map((v, i) => {
        const top = i === stack.length - 1;
        return (
          <Box key={i} flexDirection="column" height={body} display={top && !help ? 'flex' : 'none'}>
            {render(v, top && !help)}
          </Box>
        );
      })}
      <KeyBar screen={screen} width={columns} features={features} />
    </Box>
  );
}
