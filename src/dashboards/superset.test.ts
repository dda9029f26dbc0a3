/**
 * The Superset bundle, unzipped and read back: every file against the keys Superset 6.1's import schemas
 * require and allow (marshmallow refuses unknown keys), the UUID references between the files, no
 * password anywhere, the filters as Jinja, the chart kinds, and clear errors for a bad dashboards folder or
 * a chDB warehouse without a ClickHouse URL. Real Superset imports it in test/integration/superset-import.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { WarehouseConfig } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import {
  exportSupersetBundle,
  orderKeys,
  selectColumns,
  supersetDatabaseUri,
  supersetPasswordMask,
  toSupersetSql,
  type SupersetExportConfig,
} from './superset.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-superset-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const fleet = `
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

const lineage = `
dashboard: lineage
title: Lineage
charts:
  - name: graph
    title: The models
    type: graph
    source: lineage
`;

function dashboardsDir(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

const dir = dashboardsDir('main', { 'fleet.yaml': fleet, 'lineage.yaml': lineage });
const chdb: WarehouseConfig = { kind: 'chdb', path: '/tmp/nowhere', database: 'farebox' };
const httpWarehouse: WarehouseConfig = {
  kind: 'http',
  url: 'http://clickhouse:8123',
  username: 'farebox',
  password: 's3cret-config-pw',
  database: 'analytics',
};
const secret = 'url-s3cret-pw';
const baseConfig: SupersetExportConfig = {
  dashboardsDir: dir,
  warehouse: chdb,
  clickhouseUrl: `http://farebox:${secret}@clickhouse:8123/farebox`,
};
const now = () => new Date('2025-03-04T05:06:07.089Z');

type Doc = Record<string, unknown>;
interface Unzipped {
  root: string;
  raw: Record<string, string>;
  /** Parsed as Superset does: YAML 1.1 (a bare date is a timestamp, not a string). */
  docs: Record<string, Doc>;
}

function unzip(bytes: Uint8Array): Unzipped {
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

const bundle = exportSupersetBundle(baseConfig, { now });
const z = unzip(bundle.bytes);
const of = (prefix: string) => Object.entries(z.docs).filter(([f]) => f.startsWith(prefix));
const databases = of('databases/');
const datasets = of('datasets/');
const charts = of('charts/');
const dashboards = of('dashboards/');
const chartBy = (title: string): Doc => {
  const c = charts.find(([, d]) => d.slice_name === title)?.[1];
  expect(c, title).toBeDefined();
  return c ?? {};
};
const datasetOf = (chart: Doc): Doc => datasets.find(([, d]) => d.uuid === chart.dataset_uuid)?.[1] ?? {};
const params = (chart: Doc) => chart.params as Record<string, unknown>;

// The keys of Superset 6.1's ImportV1*Schema classes (superset/*/schemas.py): required ones, and all it takes.
const schemas = {
  database: {
    required: ['database_name', 'sqlalchemy_uri', 'uuid', 'version'],
    allowed: [
      'database_name',
      'sqlalchemy_uri',
      'password',
      'encrypted_extra',
      'masked_encrypted_extra',
      'cache_timeout',
      'expose_in_sqllab',
      'allow_run_async',
      'allow_ctas',
      'allow_cvas',
      'allow_dml',
      'allow_csv_upload',
      'allow_file_upload',
      'impersonate_user',
      'extra',
      'uuid',
      'version',
      'is_managed_externally',
      'external_url',
      'ssh_tunnel',
      'configuration_method',
    ],
  },
  databaseExtra: {
    required: [],
    allowed: [
      'metadata_params',
      'engine_params',
      'metadata_cache_timeout',
      'schemas_allowed_for_csv_upload',
      'cost_estimate_enabled',
      'allows_virtual_table_explore',
      'cancel_query_on_windows_unload',
      'disable_data_preview',
      'disable_drill_to_detail',
      'allow_multi_catalog',
      'per_user_caching',
      'version',
      'schema_options',
    ],
  },
  dataset: {
    required: ['table_name', 'uuid', 'version', 'database_uuid'],
    allowed: [
      'table_name',
      'main_dttm_col',
      'currency_code_column',
      'description',
      'default_endpoint',
      'offset',
      'cache_timeout',
      'schema',
      'catalog',
      'sql',
      'params',
      'template_params',
      'filter_select_enabled',
      'fetch_values_predicate',
      'extra',
      'uuid',
      'columns',
      'metrics',
      'version',
      'database_uuid',
      'data',
      'is_managed_externally',
      'external_url',
      'normalize_columns',
      'always_filter_main_dttm',
    ],
  },
  column: {
    required: ['column_name'],
    allowed: [
      'column_name',
      'extra',
      'verbose_name',
      'is_dttm',
      'is_active',
      'type',
      'advanced_data_type',
      'groupby',
      'filterable',
      'expression',
      'description',
      'python_date_format',
      'datetime_format',
    ],
  },
  metric: {
    required: ['metric_name', 'expression'],
    allowed: [
      'metric_name',
      'verbose_name',
      'metric_type',
      'expression',
      'description',
      'd3format',
      'currency',
      'extra',
      'warning_text',
    ],
  },
  chart: {
    required: ['slice_name', 'viz_type', 'uuid', 'version', 'dataset_uuid'],
    allowed: [
      'slice_name',
      'description',
      'certified_by',
      'certification_details',
      'viz_type',
      'params',
      'query_context',
      'cache_timeout',
      'uuid',
      'version',
      'dataset_uuid',
      'is_managed_externally',
      'external_url',
      'tags',
    ],
  },
  dashboard: {
    required: ['dashboard_title', 'uuid', 'version'],
    allowed: [
      'dashboard_title',
      'description',
      'css',
      'slug',
      'uuid',
      'position',
      'metadata',
      'version',
      'is_managed_externally',
      'external_url',
      'certified_by',
      'certification_details',
      'published',
      'tags',
      'theme_uuid',
      'theme_id',
    ],
  },
} as const;

function conforms(what: keyof typeof schemas, doc: unknown, where: string): void {
  expect(doc, where).toBeTypeOf('object');
  const keys = Object.keys(doc as Doc);
  for (const k of schemas[what].required) expect(keys, `${where}: ${k}`).toContain(k);
  for (const k of keys)
    expect(schemas[what].allowed as readonly string[], `${where}: unknown key ${k}`).toContain(k);
}

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the bundle, as Superset reads it', () => {
  it('is one top folder with metadata.yaml (version 1.0.0, type Dashboard, a timestamp string)', () => {
    expect(z.root).toBe('farebox_superset_20250304T050607');
    expect(z.docs['metadata.yaml']).toEqual({
      version: '1.0.0',
      type: 'Dashboard',
      timestamp: '2025-03-04T05:06:07.089+00:00',
    });
    expect(Object.keys(z.raw).every((f) => f.endsWith('.yaml'))).toBe(true);
    expect(bundle.summary.files.map((f) => f.slice(z.root.length + 1)).sort()).toEqual(
      Object.keys(z.raw).sort(),
    );
  });

  it("writes every file with the keys Superset's import schemas require, and no others", () => {
    expect(databases).toHaveLength(1);
    for (const [f, d] of databases) {
      conforms('database', d, f);
      conforms('databaseExtra', d.extra, `${f}: extra`);
    }
    expect(datasets.length).toBeGreaterThan(0);
    for (const [f, d] of datasets) {
      conforms('dataset', d, f);
      expect(d.sql, f).toBeTypeOf('string');
      for (const c of d.columns as unknown[]) conforms('column', c, `${f}: column`);
      for (const m of d.metrics as unknown[]) conforms('metric', m, `${f}: metric`);
    }
    for (const [f, d] of charts) {
      conforms('chart', d, f);
      expect(params(d).viz_type, f).toBe(d.viz_type);
      expect(d.query_context ?? null, f).toBeNull();
    }
    for (const [f, d] of dashboards) conforms('dashboard', d, f);
    for (const [f, d] of Object.entries(z.docs))
      if (f !== 'metadata.yaml') expect(d.version, f).toBe('1.0.0');
  });

  it('lays the files out as databases/<db>, datasets/<db>/<name>, charts/<name>_<n>, dashboards/<name>', () => {
    expect(databases.map(([f]) => f)).toEqual(['databases/farebox_warehouse.yaml']);
    for (const [f, d] of datasets) expect(f).toBe(`datasets/farebox_warehouse/${String(d.table_name)}.yaml`);
    expect(charts.map(([f]) => f).every((f) => /^charts\/\w+_\d+\.yaml$/.test(f))).toBe(true);
    expect(dashboards.map(([f]) => f)).toEqual(['dashboards/fleet.yaml']);
  });

  it('links the files by UUID: chart → dataset → database, dashboard → charts, filter → dataset', () => {
    const database = databases[0]?.[1] ?? {};
    const datasetUuids = new Set(datasets.map(([, d]) => d.uuid));
    const chartUuids = new Set(charts.map(([, d]) => d.uuid));
    const all = [
      database,
      ...datasets.map(([, d]) => d),
      ...charts.map(([, d]) => d),
      ...dashboards.map(([, d]) => d),
    ];
    for (const d of all) expect(d.uuid).toMatch(uuidRe);
    expect(new Set(all.map((d) => d.uuid)).size).toBe(all.length);
    for (const [f, d] of datasets) expect(d.database_uuid, f).toBe(database.uuid);
    for (const [f, d] of charts) expect(datasetUuids, f).toContain(d.dataset_uuid);
    const dashboard = dashboards[0]?.[1] ?? {};
    const position = dashboard.position as Record<string, Doc | string>;
    const placed = Object.values(position).filter(
      (p): p is Doc => typeof p === 'object' && p.type === 'CHART',
    );
    expect(placed.map((p) => (p.meta as Doc).uuid).sort()).toEqual([...chartUuids].sort());
    const filters = (dashboard.metadata as Doc).native_filter_configuration as Doc[];
    for (const fl of filters)
      for (const t of fl.targets as Doc[])
        if (t.datasetUuid !== undefined) expect(datasetUuids).toContain(t.datasetUuid);
  });

  it('gives the dashboard a consistent grid: ROOT → GRID → rows → charts, each id once, parents right', () => {
    const dashboard = dashboards[0]?.[1] ?? {};
    const position = dashboard.position as Record<string, Doc | string>;
    expect(position.DASHBOARD_VERSION_KEY).toBe('v2');
    const node = (id: string): Doc => position[id] as Doc;
    expect(node('ROOT_ID').children).toEqual(['GRID_ID']);
    expect((node('HEADER_ID').meta as Doc).text).toBe('Fleet');
    const seen: string[] = [];
    const walk = (id: string, parents: string[]) => {
      const n = node(id);
      expect(n, id).toBeDefined();
      expect(n.id).toBe(id);
      if (id !== 'ROOT_ID') expect(n.parents, id).toEqual(parents);
      seen.push(id);
      for (const c of (n.children as string[] | undefined) ?? []) walk(c, [...parents, id]);
    };
    walk('ROOT_ID', []);
    const nodes = Object.entries(position).filter(([k, v]) => typeof v === 'object' && k !== 'HEADER_ID');
    expect(seen.sort()).toEqual(nodes.map(([k]) => k).sort());
    for (const [, n] of nodes)
      if ((n as Doc).type === 'ROW') {
        const widths = ((n as Doc).children as string[]).map((c) => (node(c).meta as Doc).width as number);
        expect(widths.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(12);
      }
    const ids = Object.values(position)
      .filter((p): p is Doc => typeof p === 'object' && p.type === 'CHART')
      .map((p) => (p.meta as Doc).chartId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never writes a password: the URI names the user, the given password is nowhere in the bytes', () => {
    const database = databases[0]?.[1] ?? {};
    expect(database.sqlalchemy_uri).toBe('clickhousedb://farebox@clickhouse:8123/farebox');
    expect(new URL(String(database.sqlalchemy_uri)).password).toBe('');
    expect(database).not.toHaveProperty('password');
    expect(Object.values(z.raw).join('\n')).not.toContain(secret);
    expect(Buffer.from(bundle.bytes).includes(Buffer.from(secret))).toBe(false);
    expect(bundle.summary.notes.join(' ')).toMatch(/superset set-database-uri -d farebox_warehouse/);
  });

  it('with askPassword, puts Superset’s mask in the URI so that the Import dialog asks', () => {
    const masked = unzip(exportSupersetBundle({ ...baseConfig, askPassword: true }, { now }).bytes);
    const uri = String(masked.docs['databases/farebox_warehouse.yaml']?.sqlalchemy_uri);
    expect(new URL(uri).password).toBe(supersetPasswordMask);
    expect(Object.values(masked.raw).join('\n')).not.toContain(secret);
  });

  it('derives every UUID from names: the same dashboards give the same UUIDs and files at any time', () => {
    const later = unzip(
      exportSupersetBundle(baseConfig, { now: () => new Date('2026-01-01T00:00:00Z') }).bytes,
    );
    for (const [f, text] of Object.entries(z.raw))
      if (f !== 'metadata.yaml') expect(later.raw[f], f).toBe(text);
    const renamed = dashboardsDir('renamed', {
      'fleet.yaml': fleet.replace('dashboard: fleet', 'dashboard: fleet2'),
    });
    const other = unzip(exportSupersetBundle({ ...baseConfig, dashboardsDir: renamed }, { now }).bytes);
    expect(other.docs['dashboards/fleet2.yaml']?.uuid).not.toBe(z.docs['dashboards/fleet.yaml']?.uuid);
    expect(other.docs['databases/farebox_warehouse.yaml']?.uuid).toBe(databases[0]?.[1].uuid);
  });
});

describe('the filters, as Superset Jinja', () => {
  it('turns {from} and {to} into the time range and {borough} into the Borough filter', () => {
    const { sql, filters } = toSupersetSql(
      "SELECT 1 FROM t WHERE at >= {from} AND at < {to} AND ({borough} = '' OR b = {borough});\n",
    );
    expect([...filters].sort()).toEqual(['borough', 'from', 'to']);
    expect(sql).not.toMatch(/\{(from|to|borough)\}/);
    expect(sql).toContain(
      `at >= parseDateTime64BestEffort('{{ from_dttm or "1970-01-01T00:00:00" }}', 3, 'UTC')`,
    );
    expect(sql).toContain(
      `at < parseDateTime64BestEffort('{{ to_dttm or "2100-01-01T00:00:00" }}', 3, 'UTC')`,
    );
    const borough = `{{ (filter_values('borough', remove_filter=True)[:1] or ['']) | where_in }}`;
    expect(sql).toContain(`(${borough} = '' OR b = ${borough})`);
    expect(sql.endsWith(')')).toBe(true);
    expect(toSupersetSql('SELECT 1').filters.size).toBe(0);
  });

  it("puts the translated SQL in each chart's dataset and says that Jinja must be on", () => {
    const ds = datasetOf(chartBy('Trips per minute'));
    expect(ds.sql).toContain('{{ from_dttm or');
    expect(ds.sql).toContain("filter_values('borough', remove_filter=True)");
    expect(String(ds.sql)).not.toMatch(/\{(from|to|borough)\}/);
    expect(bundle.summary.notes.join(' ')).toMatch(/ENABLE_TEMPLATE_PROCESSING/);
  });

  it('adds a Time range and a Borough native filter, scoped to the charts that use them', () => {
    const dashboard = dashboards[0]?.[1] ?? {};
    const position = dashboard.position as Record<string, Doc | string>;
    const idOf = (title: string) =>
      (
        Object.values(position).find(
          (p) => typeof p === 'object' && p.type === 'CHART' && (p.meta as Doc).sliceName === title,
        ) as Doc
      ).meta as Doc;
    const filters = (dashboard.metadata as Doc).native_filter_configuration as Doc[];
    expect(filters.map((f) => [f.filterType, f.name])).toEqual([
      ['filter_time', 'Time range'],
      ['filter_select', 'Borough'],
    ]);
    const [time, borough] = filters as [Doc, Doc];
    expect((time.scope as Doc).excluded).toEqual([
      idOf('Distance').chartId,
      idOf('Fares').chartId,
      idOf('Where').chartId,
    ]);
    const boroughExcluded = (borough.scope as Doc).excluded as number[];
    expect(boroughExcluded).toContain(idOf('Positions').chartId);
    expect(boroughExcluded).not.toContain(idOf('Trips per minute').chartId);
    expect(boroughExcluded).not.toContain(idOf('Top zones').chartId);
    expect((borough.controlValues as Doc).multiSelect).toBe(false);
    const target = (borough.targets as Doc[])[0] ?? {};
    expect(target.column).toEqual({ name: 'borough' });
    const values = datasets.find(([, d]) => d.uuid === target.datasetUuid)?.[1] ?? {};
    expect(values.table_name).toBe('farebox_boroughs');
    expect((values.columns as Doc[]).map((c) => c.column_name)).toEqual(['borough']);
  });
});

describe('the charts', () => {
  it('line → echarts_timeseries_line over a temporal x, metrics labelled apart from the columns', () => {
    const c = chartBy('Trips per minute');
    expect(c.viz_type).toBe('echarts_timeseries_line');
    const p = params(c);
    expect(p.x_axis).toBe('minute');
    expect(p.metrics).toEqual([
      expect.objectContaining({ aggregate: 'SUM', column: { column_name: 'trips' } }),
    ]);
    const ds = datasetOf(c);
    const names = (ds.columns as Doc[]).map((col) => col.column_name);
    expect(names).toEqual(['minute', 'trips']);
    for (const m of p.metrics as Doc[]) expect(names).not.toContain(m.label);
    expect((ds.columns as Doc[]).find((col) => col.column_name === 'minute')?.is_dttm).toBe(true);
    expect(ds.main_dttm_col).toBe('minute');
    expect(p.adhoc_filters).toEqual([
      expect.objectContaining({ operator: 'TEMPORAL_RANGE', subject: 'minute' }),
    ]);
  });

  it('bar → echarts_timeseries_bar: categorical x, one series per `series` value, stacked, in x order', () => {
    const c = chartBy('Revenue by hour of day');
    expect(c.viz_type).toBe('echarts_timeseries_bar');
    const p = params(c);
    expect(p).toMatchObject({
      x_axis: 'hour',
      groupby: ['borough'],
      stack: 'Stack',
      xAxisForceCategorical: true,
    });
    expect(p).toMatchObject({ x_axis_sort: 'hour', x_axis_sort_asc: true });
    expect((datasetOf(c).columns as Doc[]).find((col) => col.column_name === 'hour')?.is_dttm).toBe(false);
  });

  it('bar ordered by a value → sorted by that metric, descending; one metric per y', () => {
    const p = params(chartBy('Top zones'));
    const metrics = p.metrics as Doc[];
    expect(metrics.map((m) => (m.column as Doc).column_name)).toEqual(['trips', 'fare']);
    expect(p).toMatchObject({
      x_axis: 'zone',
      x_axis_sort: metrics[0]?.label,
      x_axis_sort_asc: false,
      stack: null,
    });
  });

  it('table → table of every column; number → big_number_total', () => {
    const t = chartBy('Payments');
    expect(t.viz_type).toBe('table');
    expect(params(t)).toMatchObject({
      query_mode: 'raw',
      all_columns: ['payment_type', 'trips', 'last_seen'],
    });
    expect((datasetOf(t).columns as Doc[]).find((col) => col.column_name === 'last_seen')?.is_dttm).toBe(
      true,
    );
    const n = chartBy('Trips');
    expect(n.viz_type).toBe('big_number_total');
    expect(params(n).metric).toMatchObject({ aggregate: 'SUM', column: { column_name: 'trips' } });
  });

  it('histogram: pre-binned (x, y) → bars per bin, raw values → histogram_v2', () => {
    const binned = chartBy('Distance');
    expect(binned.viz_type).toBe('echarts_timeseries_bar');
    expect(params(binned)).toMatchObject({ x_axis: 'miles', x_axis_sort: 'miles', x_axis_sort_asc: true });
    const raw = chartBy('Fares');
    expect(raw.viz_type).toBe('histogram_v2');
    expect(params(raw)).toMatchObject({ column: 'fare_amount' });
    const notes = bundle.summary.dashboards[0]?.charts.find((c) => c.name === 'distance')?.note;
    expect(notes).toMatch(/pre-binned/);
  });

  it('map → deck_scatter on lat/lon (a table when there are none, with a note)', () => {
    const m = chartBy('Positions');
    expect(m.viz_type).toBe('deck_scatter');
    expect(params(m).spatial).toEqual({ type: 'latlong', latCol: 'lat', lonCol: 'lon' });
    const cols = datasetOf(m).columns as Doc[];
    expect(cols.find((col) => col.column_name === 'lat')?.is_dttm).toBe(false);
    expect(chartBy('Where').viz_type).toBe('table');
    expect(bundle.summary.dashboards[0]?.charts.find((c) => c.name === 'no_coordinates')?.note).toMatch(
      /lat and lon/,
    );
  });

  it('skips charts without SQL, and dashboards left empty, saying why', () => {
    expect(charts).toHaveLength(9);
    expect(bundle.summary.skipped).toEqual([
      {
        dashboard: 'fleet',
        chart: 'lag',
        reason: expect.stringMatching(/built-in source 'consumer_lag'/) as string,
      },
      { dashboard: 'lineage', chart: 'graph', reason: expect.stringMatching(/source 'lineage'/) as string },
      { dashboard: 'lineage', chart: '*', reason: expect.stringMatching(/none of its charts/) as string },
    ]);
    expect(dashboards).toHaveLength(1);
  });

  it("exports the repository's dashboards/ into a bundle of the same shape", () => {
    const repoDir = path.resolve(import.meta.dirname, '../../dashboards');
    const r = exportSupersetBundle({ ...baseConfig, dashboardsDir: repoDir }, { now });
    const u = unzip(r.bytes);
    const chartFiles = Object.keys(u.docs).filter((f) => f.startsWith('charts/'));
    const exported = r.summary.dashboards.flatMap((d) => d.charts);
    expect(chartFiles).toHaveLength(exported.length);
    expect(exported.length).toBeGreaterThan(0);
    for (const f of chartFiles) conforms('chart', u.docs[f], f);
    for (const c of exported) expect(u.docs[c.datasetFile]?.sql, c.name).not.toMatch(/\{(from|to|borough)\}/);
  });
});

describe('reading the SQL', () => {
  it('reads the column names of the first top-level SELECT', () => {
    expect(
      selectColumns(`-- a comment, FROM here
        SELECT DISTINCT toStartOfMinute(t) AS minute, a.b, round(x, 2) AS "y", 'a, FROM b' AS s, (SELECT 1) AS sub
        FROM t`)?.map((c) => c.name),
    ).toEqual(['minute', 'b', 'y', 's', 'sub']);
    expect(selectColumns('WITH w AS (SELECT 1 AS q) SELECT q AS n FROM w')?.map((c) => c.name)).toEqual([
      'n',
    ]);
    expect(selectColumns('SELECT * FROM t')).toBeUndefined();
    expect(selectColumns('SELECT count() FROM t')).toBeUndefined();
  });

  it('reads the ORDER BY keys', () => {
    expect(orderKeys('SELECT a FROM t ORDER BY a, b DESC LIMIT 3')).toEqual([
      { column: 'a', desc: false },
      { column: 'b', desc: true },
    ]);
    expect(orderKeys('SELECT a FROM (SELECT a FROM t ORDER BY a) ')).toEqual([]);
  });
});

describe('the ClickHouse database and the errors', () => {
  it("takes the configured server warehouse's user and database, leaving its password out", () => {
    expect(supersetDatabaseUri({ warehouse: httpWarehouse })).toEqual({
      uri: 'clickhousedb://farebox@clickhouse:8123/analytics',
      passwordLeftOut: true,
    });
    expect(
      supersetDatabaseUri({ warehouse: httpWarehouse, clickhouseUrl: 'https://ch.example.com' }).uri,
    ).toBe('clickhousedb://default@ch.example.com:8443/analytics?secure=true');
    const r = exportSupersetBundle({ dashboardsDir: dir, warehouse: httpWarehouse }, { now });
    expect(Buffer.from(r.bytes).includes(Buffer.from('s3cret-config-pw'))).toBe(false);
    expect(r.summary.notes.join(' ')).toMatch(/left out/);
  });

  it('refuses a chDB warehouse without --clickhouse-url, with a hint', () => {
    const run = () => exportSupersetBundle({ dashboardsDir: dir, warehouse: chdb }, { now });
    expect(run).toThrow(FareboxError);
    expect(run).toThrow(/chDB.*needs the URL of a ClickHouse server/);
    try {
      run();
    } catch (e) {
      expect((e as FareboxError).code).toBe('config_invalid');
      expect((e as FareboxError).hint).toMatch(/--clickhouse-url http:\/\//);
    }
  });

  it('refuses a --clickhouse-url that is no ClickHouse HTTP URL', () => {
    for (const bad of ['not a url', 'ftp://host/x', 'postgres://u@h/db'])
      expect(() => supersetDatabaseUri({ warehouse: chdb, clickhouseUrl: bad }), bad).toThrow(
        /--clickhouse-url/,
      );
  });

  it('refuses a dashboards folder that is missing, empty or holds a broken file, naming it', () => {
    const missing = path.join(tmp, 'missing');
    expect(() => exportSupersetBundle({ ...baseConfig, dashboardsDir: missing }, { now })).toThrow(
      `no dashboards in ${missing}`,
    );
    const empty = dashboardsDir('empty', {});
    expect(() => exportSupersetBundle({ ...baseConfig, dashboardsDir: empty }, { now })).toThrow(
      /no dashboards/,
    );
    const broken = dashboardsDir('broken', { 'bad.yaml': 'dashboard: x\ntitle: [unclosed\n' });
    expect(() => exportSupersetBundle({ ...baseConfig, dashboardsDir: broken }, { now })).toThrow(
      /bad\.yaml/,
    );
    const onlySources = dashboardsDir('sources', { 'lineage.yaml': lineage });
    expect(() => exportSupersetBundle({ ...baseConfig, dashboardsDir: onlySources }, { now })).toThrow(
      /no chart .* can go to Superset/,
    );
  });
});
