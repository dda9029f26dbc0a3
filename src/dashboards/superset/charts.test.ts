/**
 * The chart kinds: each farebox chart type as the Superset chart that shows it, over its dataset's columns;
 * charts Superset cannot show left out, saying why; the repository's dashboards/ exported the same way.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSupersetBundle } from './index.ts';
import { conforms } from './testing-schemas.ts';
import {
  baseConfig,
  bundle,
  chartBy,
  charts,
  dashboards,
  datasetOf,
  now,
  params,
  unzip,
  type Doc,
} from './testing.ts';

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
    const repoDir = path.resolve(import.meta.dirname, '../../../dashboards');
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
