import type { BackupEntry } from '../../core/inventory/inventory.js';
import { isHealable, type CopyChecks } from './copy-checks.js';

export interface HealPlan {
  target: string;
  source: string;
  /** what the question says will happen */
  lines: string[];
}

/**
 * Which copy to heal and from where: the selected copy if it is damaged,
 * else the first damaged one; from a verified copy, this machine's first
 * (no transfer). A string says why there is nothing to do.
 */
export function healPlan(copies: CopyChecks, entry: BackupEntry, selected: string | undefined): HealPlan | string {
  const places = copies.placesFor(entry);
  const status = (name: string) => copies.known(entry, name).status;
  const target = places.find((p) => p.name === selected && isHealable(status(p.name))) ?? places.find((p) => isHealable(status(p.name)));
  if (!target) return 'no damaged copy to heal (c checks every copy)';
  const verified = places.filter((p) => p !== target && status(p.name) === 'verified');
  const source = verified.find((p) => p.name === 'local') ?? verified.find((p) => p.kind === 'local') ?? verified[0];
  if (!source) return 'no verified copy to heal from: press c to check every copy first';
  const own = target.name === 'local';
  const result = own
    ? `The repaired file is written as ${entry.name}.healed beside the backup; the backup itself is left as it is.`
    : target.kind === 'local'
      ? `The repaired copy replaces the damaged one, which is kept as ${entry.name}.damaged.`
      : 'The repaired copy is verified whole, then uploaded over the damaged object.';
  return {
    target: target.name,
    source: source.name,
    lines: [`Heal the copy in ${target.name} from the one in ${source.name}: only the blocks that do not match the block map are fetched, each checked.`, result],
  };
}
