/**
 * Tar archives written header by header, in forms that real tools produce
 * but no packer library writes on request: V7 headers, numbers padded with
 * spaces, pax headers without records, extra zero blocks.
 */

export interface CraftedMember {
  name: string;
  content?: Buffer | string;
  /** '0' file, '5' directory, '2' symlink, '1' hard link, 'x' pax header, … */
  type?: string;
  linkname?: string;
  mode?: number;
  /** 'ustar' (POSIX), 'gnu' (ustar + two spaces) or 'v7' (no magic at all) */
  format?: 'ustar' | 'gnu' | 'v7';
  /** how numbers are written: '0000644\0' (tar), '   644 ' (old tars: leading spaces, trailing space) */
  numbers?: 'zero-padded' | 'space-padded';
  /** the size the header states, when it must differ from the content's */
  statedSize?: number;
}

function number(value: number, width: number, style: CraftedMember['numbers']): string {
  const digits = value.toString(8);
  return style === 'space-padded' ? `${digits.padStart(width - 1, ' ')} ` : `${digits.padStart(width - 1, '0')}\0`;
}

export function header(m: CraftedMember): Buffer {
  const h = Buffer.alloc(512);
  const content = Buffer.from(m.content ?? '');
  const style = m.numbers ?? 'zero-padded';
  h.write(m.name, 0, 100, 'utf8');
  h.write(number(m.mode ?? 0o644, 8, style), 100, 'latin1');
  h.write(number(0, 8, style), 108, 'latin1');
  h.write(number(0, 8, style), 116, 'latin1');
  h.write(number(m.statedSize ?? content.length, 12, style), 124, 'latin1');
  h.write(number(1_700_000_000, 12, style), 136, 'latin1');
  // V7 tars wrote NUL as the type of a regular file.
  h.write(m.type ?? (m.format === 'v7' ? '\0' : '0'), 156, 'latin1');
  if (m.linkname) h.write(m.linkname, 157, 100, 'utf8');
  const format = m.format ?? 'ustar';
  if (format === 'ustar') h.write('ustar\x0000', 257, 'latin1');
  if (format === 'gnu') h.write('ustar  \0', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** The archive: each member's header and data, then `endBlocks` zero blocks (tar writes 2, then pads to 10 KiB). */
export function craftTar(members: CraftedMember[], endBlocks = 2): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(header(m));
    if (m.content !== undefined) parts.push(padded(Buffer.from(m.content)));
  }
  parts.push(Buffer.alloc(512 * endBlocks));
  return Buffer.concat(parts);
}

/** A pax record, "LEN key=value\n", its length counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len++;
  return `${len}${body}`;
}
