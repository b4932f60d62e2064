import { useEffect, useState } from 'react';

/** Frames per second at most while checks run: drawing never paces hashing. */
export const FRAME_INTERVAL_MS = 100;

/**
 * Re-renders when the queue has changed, at most ten times a second: the
 * queue only bumps a counter, and this polls it. A check that ends is
 * drawn at once, so its result never waits for the next tick.
 */
/** Anything that counts its changes and says when a piece of work ends: the check queue, the copy checks. */
export interface Versioned {
  readonly version: number;
  onSettle(listener: () => void): () => void;
}

export function useQueueVersion(queue: Versioned): number {
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
