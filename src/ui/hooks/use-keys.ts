import { PRIORITY, useKeypress } from '../input/keypress.js';
import { actionFor, type Action, type Screen } from '../keys.js';

/** Binds the key table's actions for a screen to handlers; a key with a handler is taken. */
export function useKeys(screen: Screen, handlers: Partial<Record<Action, () => void>>, isActive = true): void {
  useKeypress(
    (name) => {
      const action = actionFor(screen, name);
      const handler = action && handlers[action];
      if (!handler) return false;
      handler();
      return true;
    },
    { priority: PRIORITY.screen, active: isActive },
  );
}
