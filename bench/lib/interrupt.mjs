// Ctrl-C and SIGTERM. With handleInterrupts() on, the first signal asks the
// run to stop at its next checkInterrupted() (which throws InterruptedError:
// exit code 130) and the second exits at once. Whatever must not outlive the
// run (partial files, manifests it made) goes in `cleanups`: runCleanups()
// runs them, however the run ends.

let interrupted = false;
export const cleanups = new Set();

export class InterruptedError extends Error {}

function onInterrupt() {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\ninterrupted; cleaning up…\n');
}

export function handleInterrupts() {
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
}

// Signal handlers keep nothing alive, but make sure we do not linger.
export function stopHandlingInterrupts() {
  process.removeListener('SIGINT', onInterrupt);
  process.removeListener('SIGTERM', onInterrupt);
}

/** A child was stopped by Ctrl-C or SIGTERM: stop at the next check, without the message. */
export function markInterrupted() {
  interrupted = true;
}

export function checkInterrupted(child) {
  // A synchronous child shares our terminal's Ctrl-C, but our own handler only
  // runs once the event loop turns: a child killed by SIGINT/SIGTERM (or
  // exiting 130, as restorable and /usr/bin/time do) counts as an interrupt.
  if (child && !interrupted && (child.signal === 'SIGINT' || child.signal === 'SIGTERM' || child.status === 130)) onInterrupt();
  if (interrupted) throw new InterruptedError();
}

export function runCleanups() {
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  cleanups.clear();
}
