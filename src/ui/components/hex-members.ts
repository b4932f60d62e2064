import { memberAt, type MemberExtent } from '../../core/archive/tar-index.js';
import { padded } from '../../core/archive/tar-format.js';
import { cutMiddle, printable } from '../../output/format.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Which tar member each line of the hex view is in, as one letter per line
 * (capital in the member's header, small in its data, `.` in the padding
 * after it, blank past the last member), and a legend naming the letters of
 * the members in view with their byte ranges.
 */
export function memberMarks(extents: MemberExtent[], lineOffsets: number[], width: number): { marks: string[]; legend: string[] } {
  if (extents.length === 0) return { marks: lineOffsets.map(() => ''), legend: [] };
  const letterOf = new Map<number, string>();
  const legend: string[] = [];
  const marks = lineOffsets.map((offset) => {
    const at = memberAt(extents, offset);
    if (!at) return ' ';
    let letter = letterOf.get(at.index);
    if (!letter) {
      letter = LETTERS[letterOf.size % LETTERS.length]!;
      letterOf.set(at.index, letter);
      const m = at.member;
      const data = m.size > 0 ? `data ${m.dataOffset}-${m.dataOffset + m.size - 1}` : 'no data';
      const where = `header at ${m.headerOffset}, ${data}${padded(m.size) > m.size ? `, padding to ${m.dataOffset + padded(m.size) - 1}` : ''}`;
      // The byte ranges always fit; a long path is cut in the middle.
      legend.push(`${letter} ${cutMiddle(printable(m.path), Math.max(8, width - where.length - 4))}: ${where}`);
    }
    return at.part === 'header' ? letter.toUpperCase() : at.part === 'data' ? letter : '.';
  });
  return { marks, legend };
}
