import { useInput } from 'ink';
import { actionFor, keyNames, type Action, type Screen } from '../keys.js';

/** Binds the key table's actions for a screen to handlers. */
export function useKeys(screen: Screen, handlers: Partial<Record<Action, () => void>>, isActive = true): void {
  useInput(
    (input, key) => {
      for (const name of keyNames(input, key)) {
        const action = actionFor(screen, name);
        if (action) handlers[action]?.();
      }
    },
    { isActive },
  );
}
