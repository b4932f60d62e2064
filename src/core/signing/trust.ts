import type { Finding, SignatureCheck, Status } from '../events/types.js';
import { UsageError } from '../errors.js';
import { loadPublicKey, type TrustedKey } from './keys.js';
import { describeVerdict, verifySignature, type SignatureVerdict } from './signature.js';

/**
 * The keys a run trusts, and what each manifest's signature came to. A
 * folder-wide list (SHA256SUMS) serves many backups: its signature is checked
 * once per run, not once per backup.
 */
export class TrustedKeys {
  private readonly verdicts = new Map<string, Promise<SignatureVerdict>>();

  constructor(readonly keys: readonly TrustedKey[]) {
    if (keys.length === 0) throw new UsageError('--trust: no public key given');
  }

  verdict(manifest: string): Promise<SignatureVerdict> {
    let v = this.verdicts.get(manifest);
    if (!v) this.verdicts.set(manifest, (v = verifySignature(manifest, this.keys)));
    return v;
  }

  describe(manifest: string, v: SignatureVerdict): string {
    return describeVerdict(manifest, v, this.keys);
  }
}

export async function loadTrustedKeys(files: readonly string[]): Promise<TrustedKeys> {
  return new TrustedKeys(await Promise.all(files.map(loadPublicKey)));
}

export interface SignaturesChecked {
  signatures: SignatureCheck[];
  findings: Finding[];
  /** `tampered` when a manifest is not validly signed by a trusted key, `error` when one could not be checked */
  status?: Extract<Status, 'tampered' | 'error'>;
}

/**
 * Every manifest a check relies on must carry a valid signature by a trusted
 * key. Anything else is `tampered` (unreadable is `error`: that is no
 * evidence of tampering) and the manifests must not be used to judge a backup.
 */
export async function checkManifestSignatures(manifests: Iterable<string>, trusted: TrustedKeys): Promise<SignaturesChecked> {
  const unique = [...new Set(manifests)];
  const verdicts = await Promise.all(unique.map((m) => trusted.verdict(m)));
  const signatures: SignatureCheck[] = [];
  const findings: Finding[] = [];
  let status: SignaturesChecked['status'];
  unique.forEach((manifest, i) => {
    const v = verdicts[i]!;
    signatures.push({ manifest, state: v.state, ...('keyId' in v ? { keyId: v.keyId } : {}) });
    if (v.state === 'valid') return;
    findings.push({ severity: 'error', message: trusted.describe(manifest, v) });
    status = v.state === 'unreadable' && status !== 'tampered' ? 'error' : 'tampered';
  });
  return { signatures, findings, status };
}

/**
 * Why a manifest is not trusted, or undefined when it is. For manifests used
 * only to help (a block map locating damage, a content index naming members),
 * and for one that could not even be parsed: `tampered` unless unreadable.
 */
export async function untrustedReason(manifest: string, trusted: TrustedKeys): Promise<{ message: string; tampered: boolean } | undefined> {
  const v = await trusted.verdict(manifest);
  return v.state === 'valid' ? undefined : { message: trusted.describe(manifest, v), tampered: v.state !== 'unreadable' };
}
