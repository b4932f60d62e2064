import { LocalLocation } from './local-location.js';
import type { Location } from './location.js';
import type { LocationSpec } from './uri.js';

/** The S3 side (and its SDK) loads only when a bucket is configured. */
export async function openLocation(spec: LocationSpec): Promise<Location> {
  if (spec.kind === 'local') return new LocalLocation(spec.name, spec.root);
  const { S3Location } = await import('./s3-location.js');
  return new S3Location(spec);
}
