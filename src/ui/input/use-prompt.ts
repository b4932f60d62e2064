import { useState } from 'react';
import { isPrintable } from '../keys.js';
import { PRIORITY, useKeypress } from './keypress.js';

export interface PromptSpec {
  /** shown before the text: "filter", "go to" */
  label: string;
  /** called as the text changes (a filter applies as it is typed) */
  onChange?: (text: string) => void;
  onSubmit: (text: string) => void;
  onCancel?: () => void;
}

/**
 * A one-line prompt at the foot of a screen. While open it takes every key
 * (Ctrl-C excepted): what is typed or pasted is its text, Enter submits,
 * Esc cancels, Backspace deletes.
 */
export function usePrompt(active: boolean): { open: (spec: PromptSpec) => void; isOpen: boolean; line: string | undefined } {
  const [state, setState] = useState<{ spec: PromptSpec; text: string } | undefined>();
  useKeypress(
    (name) => {
      if (!state) return false;
      if (name === 'ctrl+c') return false;
      const { spec, text } = state;
      if (name === 'return') {
        setState(undefined);
        spec.onSubmit(text);
      } else if (name === 'escape') {
        setState(undefined);
        spec.onCancel?.();
      } else if (name === 'backspace' || isPrintable(name)) {
        const next = name === 'backspace' ? text.slice(0, -1) : text + name;
        setState({ spec, text: next });
        spec.onChange?.(next);
      }
      return true;
    },
    { priority: PRIORITY.prompt, active: active && state !== undefined },
  );
  return {
    open: (spec) => {
      setState({ spec, text: '' });
      spec.onChange?.('');
    },
    isOpen: state !== undefined,
    line: state && `${state.spec.label}: ${state.text}▏`,
  };
}

/**
 * A position as a person types it: decimal, or hexadecimal with 0x; with
 * `@` (or a trailing B) a byte offset, else a block number.
 */
export function parsePosition(text: string): { block: number } | { offset: number } | undefined {
  const m = /^\s*(@)?\s*(0x[0-9a-f]+|\d+)\s*(b)?\s*$/i.exec(text.replace(/[_,]/g, ''));
  if (!m) return undefined;
  const value = Number(m[2]!.toLowerCase().startsWith('0x') ? Number.parseInt(m[2]!.slice(2), 16) : Number.parseInt(m[2]!, 10));
  if (!Number.isSafeInteger(value)) return undefined;
  return m[1] || m[3] || m[2]!.toLowerCase().startsWith('0x') ? { offset: value } : { block: value };
}
