/**
 * The Superset bundle, unzipped and read back: every file against the keys Superset 6.1's import schemas
 * require and allow (marshmallow refuses unknown keys), the UUID references between the files, UUIDs from
 * names, and clear errors for a bad dashboards folder. Real Superset imports it in
 * test/integration/superset-import.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSupersetBundle } from './index.ts';
import { conforms } from './testing-schemas.ts';
import {
  baseConfig,
  bundle,
  charts,
  dashboards,
  dashboardsDir,
  databases,
  datasets,
  fleet,
  lineage,
  now,
  params,
  tmp,
  unzip,
  uuidRe,
  z,
  type Doc,
} from './testing.ts';

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

describe('a bad dashboards folder', () => {
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
