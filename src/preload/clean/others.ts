/**
 * Cleaning rules for vehicle_location and driver_document.
 *
 * vehicle_location: position outside the NYC area (40.3–41.2 N, 74.5–73.5 W) → flag outside_nyc;
 * speed over 200 km/h → flag implausible_speed; text trimmed.
 * driver_document: expires_on before the event time → flag expired; a content type that is not an
 * image or a PDF → flag unexpected_content_type; text trimmed.
 */
import type { Cleaned } from '../types.ts';
import { trimStrings } from './trips.ts';

export function cleanLocation(input: Record<string, unknown>): Cleaned {
  const e = trimStrings(input);
  const flags: string[] = [];
  const lat = e.lat as number;
  const lon = e.lon as number;
  if (lat < 40.3 || lat > 41.2 || lon < -74.5 || lon > -73.5) flags.push('outside_nyc');
  if ((e.speed_kmh as number) > 200) flags.push('implausible_speed');
  return { ok: true, event: e, flags };
}

export function cleanDocument(input: Record<string, unknown>): Cleaned {
  const e = trimStrings(input);
  const flags: string[] = [];
  const expires = e.expires_on as string | null;
  if (expires !== null && expires < (e.event_time as string).slice(0, 10)) flags.push('expired');
  const doc = e.document as { contentType: string };
  if (!/^image\/|^application\/pdf$/.test(doc.contentType)) flags.push('unexpected_content_type');
  return { ok: true, event: e, flags };
}
