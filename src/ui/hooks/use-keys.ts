import { useInput } from 'ink';
import { actionFor, keyNames, type Action, type Screen } from '../keys.js';

/**
 * A handler gets the keys that came after its own in the same input event;
 * returning true means it took them (e.g. `/` starting a filter with the
 * text typed right after it).
 */
export type KeyHandler = (rest: string[]) => boolean | void;

/** Binds the key table's actions for a screen to handlers. */
export function useKeys(screen: Screen, handlers: Partial<Record<Action, KeyHandler>>, isActive = true): void {
  useInput(
    (input, key) => {
      const names = keyNames(input, key);
      for (let i = 0; i < names.length; i++) {
        const action = actionFor(screen, names[i]!);
        if (action && handlers[action]?.(names.slice(i + 1)) === true) return;
      }
    },
    { isActive },
  );
}
