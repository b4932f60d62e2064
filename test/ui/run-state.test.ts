import { describe, expect, it } from 'vitest';
import { reduceRun, type RunState } from '../../src/core/checks/run-state.js';
import type { CheckResult } from '../../src/core/events/types.js';

const empty: RunState = { steps: [], findings: [] };
const file = '/b/x.tar.gz';

describe('the one reducer from check events to run state', () => {
  it('returns new state for what changed and leaves the old one as it was', () => {
    const a = reduceRun(empty, { type: 'progress', file, phase: 'hash', done: 10, total: 100, bytesPerSec: 5 });
    expect(a).not.toBe(empty);
    expect(empty.progress).toBeUndefined();
    expect(a.progress).toEqual({ done: 10, total: 100, bytesPerSec: 5, etaSeconds: undefined, parts: undefined });
    expect(a.phase).toBe('hash');
    // an event that says nothing about the run changes nothing
    expect(reduceRun(a, { type: 'start', file, checks: ['quick'] })).toBe(a);
  });

  it('a step keeps the title it started with; its state and detail follow', () => {
    const started = reduceRun(empty, { type: 'step', file, id: 'hash', title: 'hash (sha256)', state: 'running' });
    const ended = reduceRun(started, { type: 'step', file, id: 'hash', title: 'other words', state: 'failed', detail: 'mismatch' });
    expect(ended.steps).toEqual([{ id: 'hash', title: 'hash (sha256)', state: 'failed', detail: 'mismatch' }]);
    expect(started.steps).toEqual([{ id: 'hash', title: 'hash (sha256)', state: 'running', detail: undefined }]);
    const two = reduceRun(ended, { type: 'step', file, id: 'size', title: 'size', state: 'ok' });
    expect(two.steps.map((s) => s.id)).toEqual(['hash', 'size']);
  });

  it('block states fill in by index and count; findings add up; the result is kept', () => {
    let run = reduceRun(empty, { type: 'blockmap', file, totalBlocks: 5, blockSize: 4, fileSize: 20 });
    run = reduceRun(run, { type: 'block', file, index: 1, count: 2, state: 'ok' });
    run = reduceRun(run, { type: 'block', file, index: 4, count: 9, state: 'corrupt' });
    expect(run.blocks!.states).toEqual([undefined, 'ok', 'ok', undefined, 'corrupt']);
    run = reduceRun(run, { type: 'finding', file, finding: { severity: 'error', message: 'one' } });
    run = reduceRun(run, { type: 'finding', file, finding: { severity: 'warning', message: 'two' } });
    expect(run.findings.map((f) => f.message)).toEqual(['one', 'two']);
    const result = { file, status: 'corrupt_blocks', findings: [], manifests: [], checks: ['blocks'], checkedAt: '2026-01-01T00:00:00Z', durationMs: 1 } as CheckResult;
    expect(reduceRun(run, { type: 'result', result }).result).toBe(result);
    // a block event before the map is known changes nothing
    expect(reduceRun(empty, { type: 'block', file, index: 0, count: 1, state: 'ok' })).toBe(empty);
  });
});
