import { useStdout } from 'ink';

/**
 * The terminal's clipboard, set with OSC 52: the terminal the person sits
 * at receives it, also over SSH. Inside tmux the sequence is passed through
 * to the outer terminal (tmux may also keep it, with set-clipboard on).
 */
export function osc52(text: string, env: NodeJS.ProcessEnv = process.env): string {
  const seq = `\u001b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
  return env.TMUX ? `\u001bPtmux;${seq.replace(/\u001b/g, '\u001b\u001b')}\u001b\\` : seq;
}

/** Copies text to the terminal's clipboard; returns what to tell the person. */
export function useCopy(): (text: string) => string {
  const { stdout } = useStdout();
  return (text) => {
    stdout.write(osc52(text));
    return `copied ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`;
  };
}
