import type { BlockState, CheckEvent, CheckResult, Finding, Phase } from '../events/types.js';

/** A step of a check as a screen lists it. */
export interface RunStep {
  id: string;
  title: string;
  state: string;
  detail?: string;
}

/** What a check's events have said so far: the live state a screen draws. */
export interface RunState {
  phase?: Phase;
  progress?: { done: number; total: number; bytesPerSec: number; etaSeconds?: number; parts?: Record<string, number> };
  steps: RunStep[];
  findings: Finding[];
  /** block states as they arrive, for the block grid (index → state) */
  blocks?: { total: number; blockSize: number; fileSize: number; states: (BlockState | undefined)[] };
  result?: CheckResult;
}

/**
 * The one reducer from check events to run state, for the inspector's
 * check queue and its copy checks alike. It returns a new state when the
 * event changes anything and the same one when not, with one exception
 * kept for speed: the block states are a buffer owned by the run, written
 * in place (copying it on every block would cost O(blocks) per event).
 */
export function reduceRun<S extends RunState>(run: S, event: CheckEvent): S {
  switch (event.type) {
    case 'progress':
      return { ...run, phase: event.phase, progress: { done: event.done, total: event.total, bytesPerSec: event.bytesPerSec, etaSeconds: event.etaSeconds, parts: event.parts } };
    case 'step': {
      const at = run.steps.findIndex((s) => s.id === event.id);
      // A step keeps the title it started with; its state and detail follow.
      const step = { id: event.id, title: at >= 0 ? run.steps[at]!.title : event.title, state: event.state, detail: event.detail };
      return { ...run, steps: at >= 0 ? run.steps.map((s, i) => (i === at ? step : s)) : [...run.steps, step] };
    }
    case 'blockmap':
      return { ...run, blocks: { total: event.totalBlocks, blockSize: event.blockSize, fileSize: event.fileSize, states: new Array<BlockState | undefined>(event.totalBlocks) } };
    case 'block': {
      if (!run.blocks) return run;
      for (let i = event.index; i < event.index + event.count && i < run.blocks.total; i++) run.blocks.states[i] = event.state;
      return { ...run, blocks: { ...run.blocks } };
    }
    case 'finding':
      return { ...run, findings: [...run.findings, event.finding] };
    case 'result':
      return { ...run, result: event.result };
    default:
      return run;
  }
}
