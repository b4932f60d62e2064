import { measureElement, type DOMElement } from 'ink';
import { useEffect, useRef, useState, type RefObject } from 'react';

/**
 * The rows a growing box was given by the layout, measured after each
 * frame: a pane below lines that wrap (a long status, many copies) gets the
 * room that is really left, not a guess. `fallback` until first measured.
 */
export function useRoom(fallback: number): [RefObject<DOMElement | null>, number] {
  const ref = useRef<DOMElement>(null);
  const [rows, setRows] = useState(fallback);
  useEffect(() => {
    if (!ref.current) return;
    const { height } = measureElement(ref.current);
    if (height > 0 && height !== rows) setRows(height);
  });
  return [ref, rows];
}
