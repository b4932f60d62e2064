import type { DigestComparison, Finding } from '../events/types.js';
import { basename } from 'node:path';
import { isStoreChecksum, type Algorithm } from '../hash/algorithms.js';
import type { Expectation } from '../manifest/model.js';

/** Every digest the manifests state, per algorithm, with who states it. */
export function expectedDigests(expectations: Expectation[]): Map<Algorithm, { value: string; manifest: string }[]> {
  const out = new Map<Algorithm, { value: string; manifest: string }[]>();
  for (const e of expectations) {
    for (const [algo, value] of Object.entries(e.digests) as [Algorithm, string][]) {
      const list = out.get(algo) ?? [];
      list.push({ value, manifest: e.manifest });
      out.set(algo, list);
    }
  }
  return out;
}

/**
 * The stated digests worth computing on a read: a CRC is there for a
 * bucket's checksum to be compared with, so it is computed only when the
 * manifests state nothing stronger (a digest proves more, at less cost than both).
 */
export function digestsToCompute(expected: Map<Algorithm, unknown>): Algorithm[] {
  const all = [...expected.keys()];
  return all.some((a) => !isStoreChecksum(a)) ? all.filter((a) => !isStoreChecksum(a)) : all;
}

/** Compares actual digests with every manifest's; disagreeing manifests are a finding too. */
export function compareDigests(
  expected: Map<Algorithm, { value: string; manifest: string }[]>,
  actual: Partial<Record<Algorithm, string>>,
): { digests: Partial<Record<Algorithm, DigestComparison>>; findings: Finding[]; allOk: boolean } {
  const digests: Partial<Record<Algorithm, DigestComparison>> = {};
  const findings: Finding[] = [];
  let allOk = true;
  for (const [algo, claims] of expected) {
    const got = actual[algo];
    if (got === undefined) continue;
    const distinct = [...new Set(claims.map((c) => c.value))];
    if (distinct.length > 1) {
      findings.push({ severity: 'error', message: `manifests disagree on ${algo}: ${claims.map((c) => `${basename(c.manifest)} says ${c.value}`).join('; ')}` });
    }
    const ok = claims.every((c) => c.value === got);
    allOk &&= ok;
    const wrong = claims.find((c) => c.value !== got);
    digests[algo] = { expected: (wrong ?? claims[0]!).value, actual: got, ok, sources: [...new Set(claims.map((c) => c.manifest))] };
    if (!ok) findings.push({ severity: 'error', message: `${algo} mismatch: expected ${wrong!.value}, got ${got} (${basename(wrong!.manifest)})` });
  }
  return { digests, findings, allOk };
}
