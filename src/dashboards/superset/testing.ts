/**
 * The Superset tests' fixture: two dashboards in a temporary folder (fleet, with every chart type, the
 * filters and a chart without SQL; lineage, with a built-in source only), the bundle exported from them,
 * unzipped and read back as Superset reads it, and lookups into its files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, expect } from 'vitest';
import YAML from 'yaml';
import type { WarehouseConfig } from '../../config/index.ts';
import { exportSupersetBundle, type SupersetExportConfig } from './index.ts';

export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-superset-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

export const fleet = `
dashboard: fleet
title: Fleet
description: Trips and fares.
charts:
  - name: trips_per_minute
    title: Trips per minute
    type: line
    x: minute
    y: trips
    sql: |
      SELECT toStartOfMinute(pickup_at) AS minute, count() AS trips
      FROM fct_trips
      WHERE pickup_at >= {from} AND pickup_at < {to} AND ({borough} = '' OR pu_borough = {borough})
      GROUP BY minute
      ORDER BY minute
  - name: revenue_by_hour
    title: Revenue by hour of day
    type: bar
    x: hour
    y: revenue
    series: borough
    sql: |
      SELECT pu_borough AS borough, local_hour_of_day AS hour, sum(revenue) AS revenue
      FROM agg_zone_hourly
      WHERE pickup_hour >= toStartOfHour({from}) AND pickup_hour < {to}
      GROUP BY borough, hour
      ORDER BY borough, hour
  - name: top_zones
    title: Top zones
    type: bar
    x: zone
    y: [trips, fare]
    sql: |
      SELECT pu_zone AS zone, count() AS trips, avg(fare_amount) AS fare
      FROM fct_trips WHERE pickup_at >= {from} AND pickup_at < {to} AND ({borough} = '' OR pu_borough = {borough})
      GROUP BY zone ORDER BY trips DESC LIMIT 15
  - name: payments
    title: Payments
    type: table
    sql: |
      SELECT payment_type_name AS payment_type, count() AS trips, max(received_at) AS last_seen
      FROM fct_trips WHERE pickup_at >= {from} GROUP BY payment_type
  - name: total
    title: Trips
    type: number
    y: trips
    sql: SELECT count() AS trips FROM fct_trips WHERE pickup_at >= {from} AND pickup_at < {to}
  - name: distance
    title: Distance
    type: histogram
    x: miles
    y: trips
    sql: SELECT floor(trip_distance_miles) AS miles, count() AS trips FROM fct_trips GROUP BY miles ORDER BY miles
  - name: raw_fares
    title: Fares
    type: histogram
    x: fare_amount
    sql: SELECT fare_amount FROM fct_trips LIMIT 10000
  - name: positions
    title: Positions
    type: map
    sql: |
      SELECT vehicle_id, argMax(lat, event_time) AS lat, argMax(lon, event_time) AS lon, max(event_time) AS seen_at
      FROM vehicle_locations WHERE event_time >= {from} AND event_time < {to} GROUP BY vehicle_id
  - name: no_coordinates
    title: Where
    type: map
    sql: SELECT vehicle_id, status FROM vehicle_locations
  - name: lag
    title: Consumer lag
    type: line
    source: consumer_lag
`;

export const lineage = `
dashboard: lineage
title: Lineage
charts:
  - name: graph
    title: The models
    type: graph
    source: lineage
`;

export function dashboardsDir(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

export const dir = dashboardsDir('main', { 'fleet.yaml': fleet, 'lineage.yaml': lineage });
export const chdb: WarehouseConfig = { kind: 'chdb', path: '/tmp/nowhere', database: 'farebox' };
export const httpWarehouse: WarehouseConfig = {
  kind: 'http',
  url: 'http://clickhouse:8123',
  username: 'farebox',
  password: 's3cret-config-pw',
  database: 'analytics',
};
export const secret = 'url-s3cret-pw';
export const baseConfig: SupersetExportConfig = {
  dashboardsDir: dir,
  warehouse: chdb,
  clickhouseUrl: `http://farebox:${secret}@clickhouse:8123/farebox`,
};
export const now = () => new Date('2025-03-04T05:06:07.089Z');

export type Doc = Record<string, unknown>;
export interface Unzipped {
  root: string;
  raw: Record<string, string>;
  /** Parsed as Superset does: YAML 1.1 (a bare date is a timestamp, not a string). */
  docs: Record<string, Doc>;
}

export function unzip(bytes: Uint8Array): Unzipped {
  const entries = unzipSync(bytes);
  const names = Object.keys(entries);
  const roots = new Set(names.map((n) => n.split('/')[0]));
  expect(roots.size).toBe(1);
  const root = [...roots][0] ?? '';
  const raw: Record<string, string> = {};
  const docs: Record<string, Doc> = {};
  for (const [name, data] of Object.entries(entries)) {
    const rel = name.slice(root.length + 1);
    raw[rel] = strFromU8(data);
    docs[rel] = YAML.parse(raw[rel], { version: '1.1' }) as Doc;
  }
  return { root, raw, docs };
}

export const bundle = exportSupersetBundle(baseConfig, { now });
export const z = unzip(bundle.bytes);
const of = (prefix: string) => Object.entries(z.docs).filter(([f]) => f.startsWith(prefix));
export const databases = of('databases/');
export const datasets = of('datasets/');
export const charts = of('charts/');
export const dashboards = of('dashboards/');
export const chartBy = (title: string): Doc => {
  const c = charts.find(([, d]) => d.slice_name === title)?.[1];
  expect(c, title).toBeDefined();
  return c ?? {};
};
export const datasetOf = (chart: Doc): Doc =>
  datasets.find(([, d]) => d.uuid === chart.dataset_uuid)?.[1] ?? {};
export const params = (chart: Doc) => chart.params as Record<string, unknown>;

export const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
