import { useEffect, useState } from 'react';
import type { CheckQueue } from '../../core/checks/queue.js';

/** Frames per second at most while checks run: drawing never paces hashing. */
export const FRAME_INTERVAL_MS = 100;

/**
 * Re-renders when the queue has changed, at most ten times a second: the
 * queue only bumps a counter, and this polls it. A check that ends is
 * drawn at once, so its result never waits for the next tick.
 */
export function useQueueVersion(queue: CheckQueue): number {
  const [version, setVersion] = useState(queue.version);
  useEffect(() => {
    const sync = () => setVersion((v) => (v === queue.version ? v : queue.version));
    const timer = setInterval(sync, FRAME_INTERVAL_MS);
    const unsubscribe = queue.onSettle(sync);
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, [queue]);
  return version;
}
