import { render, type Instance } from 'ink';
import { App } from './app.js';
import { KeypressProvider } from './input/keypress.js';
import type { InspectorSession } from './session/inspector-session.js';
import { SessionContext } from './session/use-session.js';
import { terminalIsUnicode } from './charset.js';
import { frameStream } from './frame-stream.js';
import { KEY_FRAME_INTERVAL_MS } from './session/frame-interval.js';

export interface Streams {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** draw in ASCII only (default: when the locale or TERM says the terminal cannot show more) */
  ascii?: boolean;
  /** kept up to date with the number of keys read but not yet handled */
  backlog?: { pending: number };
}

/**
 * Renders the inspector with the options it always runs with: frames paced
 * by the session (keys drawn at once), only changed lines redrawn, Ctrl-C handled by the app.
 * The real terminal and the tests' virtual one both come through here.
 */
export function renderInspector(session: InspectorSession, streams: Streams): Instance {
  return render(
    <SessionContext.Provider value={session}>
      <KeypressProvider backlog={streams.backlog}>
        <App />
      </KeypressProvider>
    </SessionContext.Provider>, {
    stdout: frameStream(streams.stdout, { ascii: streams.ascii ?? !terminalIsUnicode() }),
    stdin: streams.stdin,
    stderr: streams.stderr,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: Math.floor(1000 / KEY_FRAME_INTERVAL_MS),
    incrementalRendering: true,
  });
}
