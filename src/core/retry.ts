import { AbortError, onAbort } from './errors.js';

export interface RetryOptions {
  /** how many tries in all (default 4) */
  tries?: number;
  /** the first wait; each next one doubles (default 250 ms) */
  baseMs?: number;
  /** false: give up at once (a missing object is not worth another try) */
  retryable?: (err: unknown) => boolean;
  signal?: AbortSignal;
  /** told before each wait, e.g. to report "retrying in 0.5 s" */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  /** the wait before the next try, given the backoff's (a server's Retry-After, a throttling store) */
  waitMs?: (err: unknown, backoffMs: number) => number;
}

/** Runs `fn` until it succeeds, with exponential backoff between tries. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const tries = opts.tries ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw new AbortError();
      if (attempt >= tries || (opts.retryable && !opts.retryable(err))) throw err;
      const backoff = (opts.baseMs ?? 250) * 2 ** (attempt - 1);
      const wait = opts.waitMs ? opts.waitMs(err, backoff) : backoff;
      opts.onRetry?.(err, attempt, wait);
      await sleep(wait, opts.signal);
    }
  }
}

/** Waits `ms`, or throws AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      removeListener();
      resolve();
    }, ms);
    const removeListener = onAbort(signal, () => {
      clearTimeout(timer);
      reject(new AbortError());
    });
  });
}
