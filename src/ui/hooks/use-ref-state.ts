import { useRef, useState } from 'react';

/**
 * State whose latest value is readable at once. Several keys can arrive in
 * one input event ("jjj"): each handler must see the previous one's change,
 * not the value of the last render.
 */
export function useRefState<T>(initial: T): [() => T, (next: T) => void, T] {
  const ref = useRef(initial);
  const [value, setValue] = useState(initial);
  const set = (next: T) => {
    ref.current = next;
    setValue(next);
  };
  return [() => ref.current, set, value];
}
