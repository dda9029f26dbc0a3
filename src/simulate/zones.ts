/**
 * The 265 TLC taxi zones with an approximate position each. The TLC publishes zone shapes, not points,
 * and farebox ships only the lookup table, so a zone's point is its borough's centre plus a fixed
 * offset derived from its id; the airports (JFK 132, LaGuardia 138, Newark 1) sit where they really are.
 */
import fs from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { FareboxError } from '../errors/index.ts';

export interface Zone {
  id: number;
  borough: string;
  zone: string;
  serviceZone: string;
  lat: number;
  lon: number;
}

const centres: Record<string, [number, number, number]> = {
  Manhattan: [40.775, -73.972, 0.035],
  Brooklyn: [40.65, -73.95, 0.05],
  Queens: [40.72, -73.82, 0.06],
  Bronx: [40.85, -73.88, 0.04],
  'Staten Island': [40.58, -74.15, 0.04],
  EWR: [40.6895, -74.1745, 0],
};
const fixed: Record<number, [number, number]> = {
  1: [40.6895, -74.1745],
  132: [40.6413, -73.7781],
  138: [40.7769, -73.874],
};

/** A deterministic value in [-1, 1) from an integer. */
function jitter(n: number): number {
  const x = Math.sin(n * 12.9898) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

export async function loadZones(file: string): Promise<Zone[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new FareboxError('config_invalid', `cannot read the taxi-zone table ${file}`, {
      cause: e,
      where: 'FAREBOX_ZONES',
    });
  }
  const records = parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true });
  return records.map((r) => {
    const id = Number(r.LocationID);
    const borough = r.Borough ?? 'Unknown';
    const [lat, lon, spread] = centres[borough] ?? [40.73, -73.93, 0.08];
    const at = fixed[id] ?? [lat + jitter(id) * spread, lon + jitter(id + 1000) * spread];
    return { id, borough, zone: r.Zone ?? '', serviceZone: r.service_zone ?? '', lat: at[0], lon: at[1] };
  });
}

/** Great-circle distance in miles. */
export function miles(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 3958.8 * 2 * Math.asin(Math.sqrt(h));
}
