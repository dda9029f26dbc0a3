/**
 * Writes web/src/nyc-boroughs.json, the outlines of the five boroughs under the vehicle positions map:
 * New York State's five city counties from the US Census cartographic boundaries at 1:10,000,000 (the
 * us-atlas package, TopoJSON → GeoJSON), 3 KB. Coarse, but the city is recognisable and it works offline.
 *
 *   node web/scripts/boroughs.ts          (web/src/boroughs.test.ts checks the file is what this writes)
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/** County FIPS codes of the boroughs. */
const boroughs: Record<string, string> = {
  '36005': 'Bronx',
  '36047': 'Brooklyn',
  '36061': 'Manhattan',
  '36081': 'Queens',
  '36085': 'Staten Island',
};

export const boroughsFile = path.join(import.meta.dirname, '..', 'src', 'nyc-boroughs.json');

export function boroughOutlines(): string {
  const file = createRequire(import.meta.url).resolve('us-atlas/counties-10m.json');
  const topology = JSON.parse(fs.readFileSync(file, 'utf8')) as Topology<{ counties: GeometryCollection }>;
  const counties = feature(topology, topology.objects.counties);
  return JSON.stringify({
    type: 'FeatureCollection',
    features: counties.features
      .filter((f) => boroughs[String(f.id)] !== undefined)
      .map((f) => ({ type: 'Feature', properties: { name: boroughs[String(f.id)] }, geometry: f.geometry })),
  });
}

if (process.argv[1] === import.meta.filename) fs.writeFileSync(boroughsFile, `${boroughOutlines()}\n`);
