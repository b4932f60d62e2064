// Short texts for progress (on stderr) and for error messages about commands.

export const log = (msg) => process.stderr.write(`${msg}\n`);

export function firstLine(text) {
  return String(text ?? '').split('\n').find((l) => l.trim()) ?? '';
}

export function tail(text, lines = 6) {
  return String(text ?? '').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The end of a failed command's stderr, then of its stdout when it printed any. */
export function outputTail(stderr, stdout) {
  return `${tail(stderr)}${stdout ? `\n${tail(stdout)}` : ''}`;
}
