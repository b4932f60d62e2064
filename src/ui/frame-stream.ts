import { toAscii } from './charset.js';

/**
 * Ink's incremental renderer moves the cursor up one line too few when a
 * frame ends with a newline, which it does whenever the frame is shorter
 * than the terminal, as ours always is (one row short, so the terminal never
 * scrolls). Each redraw then lands one row low and lines it skips as
 * unchanged show stale text. This stream passes everything through to the
 * terminal but moves a redraw's leading "cursor up" one line further.
 */
export function frameStream(out: NodeJS.WriteStream, opts: { ascii?: boolean } = {}): NodeJS.WriteStream {
  let drewFrame = false;
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (typeof chunk === 'string') {
      const moved = drewFrame ? chunk.replace(/^\u001b\[(\d+)A/, (_, n: string) => `\u001b[${Number(n) + 1}A`) : chunk;
      // On a terminal that shows only ASCII, every frame is written in ASCII: one place for every screen.
      const fixed = opts.ascii ? toAscii(moved) : moved;
      if (chunk.endsWith('\n')) drewFrame = true;
      return (out.write as (c: string, ...r: unknown[]) => boolean)(fixed, ...rest);
    }
    return (out.write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
  };
  return new Proxy(out, {
    get(target, prop, receiver) {
      if (prop === 'write') return write;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
