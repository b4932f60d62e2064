import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { LocationCheckConfig } from '../core/locations/config.js';
import type { Location } from '../core/storage/location.js';
import { parseLocationArg, parseLocationUri, type LocationSpec } from '../core/storage/uri.js';

/** --location, --config and --manifest-location, shared by `locations`, `heal` and the inspector. */
export interface LocationFlags {
  location?: string[];
  config?: string;
  manifestLocation?: string;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** "10%" or "0.1" → 0.1 */
export function fractionArg(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('expected a share such as 10% (more than 0, at most 100%)');
  return n;
}

export function locationOptions(command: Command): Command {
  return command
    .option('--location <name=uri>', 'a storage location: a folder, or s3://bucket/prefix?endpoint=URL&region=R&path_style=true, r2://bucket/prefix?account=ID, b2://bucket/prefix?region=R (repeatable)', collect)
    .option('--config <file>', 'locations, rules and alert channels, in JSON or YAML')
    .option('--manifest-location <uri>', 'read manifests and block maps from here rather than beside the backups');
}

/** The locations of the config file and of --location (which wins for the same name), and the check settings. */
export async function resolveLocationFlags(flags: LocationFlags): Promise<{ specs: LocationSpec[]; config: LocationCheckConfig; raw: Record<string, unknown> }> {
  const { loadConfig } = await import('../core/schedule/config.js');
  const { locationConfig } = await import('../core/locations/config.js');
  const loaded = await loadConfig(flags.config);
  const config = locationConfig(flags.config, loaded.raw);
  const byName = new Map(config.locations.map((s) => [s.name, s]));
  for (const arg of flags.location ?? []) {
    const spec = parseLocationArg(arg);
    byName.set(spec.name, spec);
  }
  return { specs: [...byName.values()], config, raw: loaded.raw };
}

export async function openLocations(specs: LocationSpec[]): Promise<Location[]> {
  const { openLocation } = await import('../core/storage/open-location.js');
  return Promise.all(specs.map(openLocation));
}

/** The manifest location from the option or the config file, opened. */
export async function openManifestLocation(uri: string | undefined): Promise<Location | undefined> {
  if (!uri) return undefined;
  const { openLocation } = await import('../core/storage/open-location.js');
  return openLocation(parseLocationUri('manifests', uri));
}

export function findLocation(locations: Location[], name: string): Location {
  const hit = locations.find((l) => l.name === name);
  if (!hit) throw new UsageError(`no location named "${name}" (known: ${locations.map((l) => l.name).join(', ') || 'none; add --location NAME=URI'})`);
  return hit;
}
