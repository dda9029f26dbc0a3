/** Chart options from rows: series, category order, orientation, the lineage layout, legends. */
import { describe, expect, it } from 'vitest';
import type { ChartData, ChartDef } from './api.ts';
import { filtersOf } from './filters.ts';
import { chartOption } from './options.ts';

const data = (columns: string[], rows: Record<string, unknown>[], edges?: ChartData['edges']): ChartData => ({
  columns: columns.map((name) => ({ name, type: 'String' })),
  rows,
  truncated: false,
  elapsedMs: 1,
  ...(edges === undefined ? {} : { edges }),
});
type Series = { name: string; data: unknown[] }[];
type Axis = { type: string; data?: string[] };

describe('chart options', () => {
  it('turns long rows into one series per value of the series column, hours in numeric order', () => {
    const chart: ChartDef = {
      name: 'r',
      title: 'r',
      type: 'bar',
      x: 'hour',
      y: 'revenue',
      series: 'borough',
    };
    const option = chartOption(
      chart,
      data(
        ['borough', 'hour', 'revenue'],
        [
          { borough: 'Bronx', hour: 10, revenue: '5.5' },
          { borough: 'Bronx', hour: 9, revenue: 1 },
          { borough: 'Queens', hour: 9, revenue: 2 },
        ],
      ),
    );
    expect((option?.xAxis as Axis).data).toEqual(['9', '10']);
    expect((option?.series as Series).map((s) => [s.name, s.data])).toEqual([
      ['Bronx', [1, 5.5]],
      ['Queens', [2, null]],
    ]);
    expect(option?.legend).not.toEqual({ show: false });
  });

  it('lays long category names down the side, the largest on top, with no legend for one series', () => {
    const chart: ChartDef = { name: 'z', title: 'z', type: 'bar', x: 'zone', y: 'trips' };
    const option = chartOption(
      chart,
      data(
        ['zone', 'trips'],
        [
          { zone: 'JFK Airport', trips: 9 },
          { zone: 'LaGuardia Airport', trips: 5 },
        ],
      ),
    );
    expect((option?.yAxis as Axis).data).toEqual(['LaGuardia Airport', 'JFK Airport']);
    expect((option?.series as Series)[0]?.data).toEqual([5, 9]);
    expect(option?.legend).toEqual({ show: false });
  });

  it('puts UTC times on a time axis, in time order whatever the order of the rows', () => {
    const chart: ChartDef = { name: 't', title: 't', type: 'line', x: 'minute', y: 'trips' };
    const option = chartOption(
      chart,
      data(
        ['minute', 'trips'],
        [
          { minute: '2025-02-01 08:01:00', trips: '4' },
          { minute: '2025-02-01 08:00:00', trips: '3' },
        ],
      ),
    );
    expect((option?.series as Series)[0]?.data).toEqual([
      [Date.UTC(2025, 1, 1, 8), 3],
      [Date.UTC(2025, 1, 1, 8, 1), 4],
    ]);
  });

  it('breaks a line where rows are missing for more than two steps, rather than drawing across the gap', () => {
    const chart: ChartDef = { name: 't', title: 't', type: 'line', x: 'minute', y: 'trips' };
    const minute = (m: number) => `2025-02-01 08:${String(m).padStart(2, '0')}:00`;
    const option = chartOption(
      chart,
      data(
        ['minute', 'trips'],
        [0, 1, 3, 40, 41].map((m) => ({ minute: minute(m), trips: m + 1 })),
      ),
    );
    const at = (m: number) => Date.UTC(2025, 1, 1, 8, m);
    expect((option?.series as Series)[0]?.data).toEqual([
      [at(0), 1],
      [at(1), 2],
      [at(3), 4],
      [at(4), null],
      [at(40), 41],
      [at(41), 42],
    ]);
  });

  it('places vehicles on the borough map, one series per status', () => {
    const chart: ChartDef = { name: 'm', title: 'm', type: 'map' };
    const rows = [
      { vehicle_id: 'v1', lat: 40.75, lon: -73.99, status: 'on_trip' },
      { vehicle_id: 'v2', lat: 40.64, lon: -73.78, status: 'available' },
      { vehicle_id: 'v3', lat: 40.7, lon: -73.9, status: 'on_trip' },
    ];
    const option = chartOption(chart, data(['vehicle_id', 'lat', 'lon', 'status'], rows));
    expect((option?.geo as { map: string }).map).toBe('nyc');
    const series = option?.series as (Series[number] & { coordinateSystem: string })[];
    expect(series.map((s) => [s.name, s.coordinateSystem, s.data.length])).toEqual([
      ['on_trip', 'geo', 2],
      ['available', 'geo', 1],
    ]);
    expect(series[1]?.data[0]).toEqual({ value: [-73.78, 40.64], name: 'v2' });
  });

  it('draws the lineage in columns by depth, counting tests on the nodes they test', () => {
    const chart: ChartDef = { name: 'g', title: 'g', type: 'graph', source: 'lineage' };
    const nodes = [
      { id: 'source.raw', type: 'source', name: 'raw', materialization: null },
      { id: 'model.stg', type: 'model', name: 'stg', materialization: 'view' },
      { id: 'model.fct', type: 'model', name: 'fct', materialization: 'incremental' },
      { id: 'test.unique', type: 'test', name: 'unique', materialization: 'test' },
    ];
    const edges = [
      { from: 'source.raw', to: 'model.stg' },
      { from: 'model.stg', to: 'model.fct' },
      { from: 'source.raw', to: 'model.fct' },
      { from: 'model.fct', to: 'test.unique' },
    ];
    const option = chartOption(chart, data(['id', 'type', 'name', 'materialization'], nodes, edges));
    const [series] = option?.series as {
      data: { id: string; x: number; value: string }[];
      links: unknown[];
    }[];
    expect(series?.data.map((n) => [n.id, n.x])).toEqual([
      ['source.raw', 0],
      ['model.stg', 300],
      ['model.fct', 600],
    ]);
    expect(series?.data.find((n) => n.id === 'model.fct')?.value).toBe('model · incremental · 1 tests');
    expect(series?.links).toHaveLength(3);
  });
});

describe('filters from the URL', () => {
  const now = Date.UTC(2025, 1, 10, 12);
  it('turns a relative range into times that end a minute from now', () => {
    expect(filtersOf(new URLSearchParams('range=1h&borough=Queens'), now)).toEqual({
      from: '2025-02-10T11:00:00.000Z',
      to: '2025-02-10T12:01:00.000Z',
      borough: 'Queens',
    });
  });
  it('passes a custom range as given, and all time as no bounds', () => {
    expect(
      filtersOf(new URLSearchParams('range=custom&from=2025-02-01T00:00&to=2025-03-01T00:00'), now),
    ).toEqual({
      from: '2025-02-01T00:00',
      to: '2025-03-01T00:00',
      borough: '',
    });
    expect(filtersOf(new URLSearchParams(''), now)).toEqual({ from: '', to: '', borough: '' });
  });
});
