/**
 * The dashboard: a consistent grid of the charts (ROOT → GRID → rows → charts), and the Time range and
 * Borough native filters, scoped to the charts that use them.
 */
import { describe, expect, it } from 'vitest';
import { dashboards, datasets, type Doc } from './testing.ts';

describe('the dashboard', () => {
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
