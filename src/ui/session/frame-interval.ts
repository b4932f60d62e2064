/** Frames per second at most while checks run: drawing never paces hashing. */
export const FRAME_INTERVAL_MS = 100;
