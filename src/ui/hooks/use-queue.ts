import { useEffect, useState } from 'react';
import type { CheckQueue } from '../../core/checks/queue.js';

/** Frames per second at most while checks run: drawing never paces hashing. */
export const FRAME_INTERVAL_MS = 100;

/**
 * Re-renders when the queue has changed, at most ten times a second: the
 * queue only bumps a counter, and this polls it.
 */
export function useQueueVersion(queue: CheckQueue): number {
  const [version, setVersion] = useState(queue.version);
  useEffect(() => {
    const timer = setInterval(() => setVersion((v) => (v === queue.version ? v : queue.version)), FRAME_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [queue]);
  return version;
}
