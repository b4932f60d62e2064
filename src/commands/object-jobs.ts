import type { CheckEvent, CheckResult } from '../core/events/types.js';
import type { TrustedKeys } from '../core/signing/trust.js';
import { problemUnderTrust, untrustedResult, type Job } from './runner.js';

export interface ObjectCheckOptions {
  quick?: boolean;
  /** only the block map judges (the `blocks` command) */
  blocksOnly?: boolean;
  trust?: TrustedKeys;
  /** where the manifests are, when not beside the object */
  manifestLocation?: string;
  signal?: AbortSignal;
}

/**
 * `verify` and `blocks` of objects in buckets (s3://bucket/key…): the
 * object's manifests are fetched from beside it (or the manifest location),
 * then the object is streamed once through every digest and the block map,
 * with progress, as a local file would be read.
 */
export function objectJobs(uris: string[], opts: ObjectCheckOptions): Job[] {
  return uris.map((uri) => ({
    file: uri,
    run: async function* (): AsyncGenerator<CheckEvent, void> {
      const { objectLocation } = await import('../core/storage/object-uri.js');
      const { displayResult, referencesForObject } = await import('../core/locations/references.js');
      const { location, key } = await objectLocation(uri);
      let manifests = location;
      if (opts.manifestLocation) {
        const { openLocation } = await import('../core/storage/open-location.js');
        const { parseLocationUri } = await import('../core/storage/uri.js');
        manifests = await openLocation(parseLocationUri('manifests', opts.manifestLocation));
      }
      const refs = await referencesForObject(location, key, manifests, { signal: opts.signal });
      try {
        for (const p of refs.problems) yield { type: 'result', result: await problemUnderTrust(p, opts.trust) };
        const ref = refs.backups[0]!.ref;
        if (opts.blocksOnly) ref.expectations = ref.expectations.filter((e) => e.kind === 'block-map');
        const file = location.describe(key);
        if (ref.expectations.length === 0) {
          const what = opts.blocksOnly ? `no block map (${key}.blocks.json)` : 'no manifest';
          return void (yield { type: 'result', result: simple(file, 'no_manifest', `${file}: ${what} found in ${manifests.display}`) });
        }
        const untrusted = opts.trust && (await untrustedResult(file, ref.expectations, opts.trust, refs.display));
        if (untrusted) return void (yield { type: 'result', result: untrusted });
        const { checkCopies } = await import('../core/locations/check-copies.js');
        const out = yield* checkCopies(ref, [{ location, expected: true }], { quick: opts.quick, full: !opts.quick, signal: opts.signal });
        for (const result of out.results) {
          displayResult(result, refs.display);
          result.checks = opts.quick ? ['quick'] : opts.blocksOnly ? ['blocks'] : ['quick', 'hash', 'blocks'];
          yield { type: 'result', result };
        }
      } finally {
        await refs.cleanup();
        if (manifests !== location) manifests.close();
      }
    },
  }));
}

function simple(file: string, status: CheckResult['status'], message: string): CheckResult {
  return { file, status, findings: [{ severity: 'error', message }], manifests: [], checks: [], checkedAt: new Date().toISOString(), durationMs: 0 };
}
