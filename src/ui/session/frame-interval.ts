/** Frames per second at most while checks run: drawing never paces hashing. */
export const FRAME_INTERVAL_MS = 100;

/**
 * While checks wait in the queue (V over thousands of backups): four frames
 * a second. Each frame costs the main thread, which also hands every file to
 * the hash threads; progress read four times a second loses nothing.
 */
export const BATCH_FRAME_INTERVAL_MS = 250;

/**
 * Ink's own limit, which only merges frames closer together than this. The
 * session's notifications are paced above; a key is drawn at once, not at
 * the next tick of a 100 ms clock.
 */
export const KEY_FRAME_INTERVAL_MS = 16;
