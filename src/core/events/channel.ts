/**
 * Bridges callback-style work (worker messages, progress callbacks) into an
 * async generator of events. `emit` queues an event; awaiting its promise
 * waits until the consumer has taken it, which lets a check pause at a point
 * the consumer may act on.
 */
export async function* eventChannel<E, T>(body: (emit: (event: E) => Promise<void>) => Promise<T>): AsyncGenerator<E, T> {
  const queue: { event: E; taken: () => void }[] = [];
  let wake: (() => void) | undefined;
  let settled: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const emit = (event: E) =>
    new Promise<void>((taken) => {
      queue.push({ event, taken });
      poke();
    });
  body(emit).then(
    (value) => {
      settled = { ok: true, value };
      poke();
    },
    (error: unknown) => {
      settled = { ok: false, error };
      poke();
    },
  );
  for (;;) {
    const next = queue.shift();
    if (next) {
      yield next.event;
      next.taken();
      continue;
    }
    if (settled) {
      if (settled.ok) return settled.value;
      throw settled.error;
    }
    await new Promise<void>((resolve) => (wake = resolve));
  }
}
