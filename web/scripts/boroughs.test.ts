import fs from 'node:fs';
import { expect, it } from 'vitest';
import { boroughOutlines, boroughsFile } from './boroughs.ts';

it('keeps the borough outlines the script derives from us-atlas', () => {
  const outlines = JSON.parse(boroughOutlines()) as { features: { properties: { name: string } }[] };
  expect(outlines.features.map((f) => f.properties.name).sort()).toEqual([
    'Bronx',
    'Brooklyn',
    'Manhattan',
    'Queens',
    'Staten Island',
  ]);
  expect(JSON.parse(fs.readFileSync(boroughsFile, 'utf8'))).toEqual(outlines);
});
