/** The dashboard: its position layout (a grid of the charts), its native filters and its YAML. */
import type { Dashboard } from '../definitions.ts';
import { version } from './files.ts';
import type { FilterName } from './sql.ts';

export interface Placed {
  id: number;
  uuid: string;
  title: string;
  wide: boolean;
}

/** Superset's position JSON (v2): a header, then rows of charts, two per row, tables and maps alone. */
export function layout(title: string, charts: Placed[]): Record<string, unknown> {
  const position: Record<string, unknown> = {
    DASHBOARD_VERSION_KEY: 'v2',
    ROOT_ID: { type: 'ROOT', id: 'ROOT_ID', children: ['GRID_ID'] },
    HEADER_ID: { type: 'HEADER', id: 'HEADER_ID', meta: { text: title } },
  };
  const rows: Placed[][] = [];
  for (const c of charts) {
    const last = rows.at(-1);
    if (last !== undefined && last.length === 1 && !c.wide && !(last[0]?.wide ?? true)) last.push(c);
    else rows.push([c]);
  }
  const rowIds: string[] = [];
  rows.forEach((row, r) => {
    const rowId = `ROW-farebox-${r + 1}`;
    rowIds.push(rowId);
    const width = row.length === 1 && (row[0]?.wide ?? false) ? 12 : 6;
    position[rowId] = {
      type: 'ROW',
      id: rowId,
      children: row.map((c) => `CHART-farebox-${c.id}`),
      parents: ['ROOT_ID', 'GRID_ID'],
      meta: { background: 'BACKGROUND_TRANSPARENT' },
    };
    for (const c of row)
      position[`CHART-farebox-${c.id}`] = {
        type: 'CHART',
        id: `CHART-farebox-${c.id}`,
        children: [],
        parents: ['ROOT_ID', 'GRID_ID', rowId],
        meta: { chartId: c.id, uuid: c.uuid, sliceName: c.title, width, height: 50 },
      };
  });
  position.GRID_ID = { type: 'GRID', id: 'GRID_ID', children: rowIds, parents: ['ROOT_ID'] };
  return position;
}

const emptyMask = { extraFormData: {}, filterState: {}, ownState: {} };

/** A chart on the dashboard and the filters its SQL uses. */
export type PlacedChart = Placed & { filters: Set<FilterName> };

/**
 * The dashboard's native filters, each scoped to the charts whose SQL uses it: a time range for `{from}`
 * and `{to}`, a Borough select (its values from the dataset `boroughsUuid`) for `{borough}`. With the
 * filters' names for the summary.
 */
export function nativeFilters(
  placed: PlacedChart[],
  boroughsUuid: string,
): { filters: Record<string, unknown>[]; names: string[] } {
  const filters: Record<string, unknown>[] = [];
  const names: string[] = [];
  const excluded = (needs: FilterName[]) =>
    placed.filter((c) => !needs.some((f) => c.filters.has(f))).map((c) => c.id);
  if (placed.some((c) => c.filters.has('from') || c.filters.has('to'))) {
    names.push('time range');
    filters.push({
      id: 'NATIVE_FILTER-farebox-time-range',
      name: 'Time range',
      type: 'NATIVE_FILTER',
      filterType: 'filter_time',
      description: "farebox's {from} and {to} (UTC): from_dttm and to_dttm in the datasets' SQL",
      targets: [{}],
      controlValues: { enableEmptyFilter: false },
      defaultDataMask: emptyMask,
      cascadeParentIds: [],
      scope: { rootPath: ['ROOT_ID'], excluded: excluded(['from', 'to']) },
    });
  }
  if (placed.some((c) => c.filters.has('borough'))) {
    names.push('borough');
    filters.push({
      id: 'NATIVE_FILTER-farebox-borough',
      name: 'Borough',
      type: 'NATIVE_FILTER',
      filterType: 'filter_select',
      description:
        "farebox's {borough}: filter_values('borough') in the datasets' SQL; empty = every borough",
      targets: [{ column: { name: 'borough' }, datasetUuid: boroughsUuid }],
      controlValues: {
        multiSelect: false,
        enableEmptyFilter: false,
        defaultToFirstItem: false,
        inverseSelection: false,
        searchAllOptions: false,
      },
      defaultDataMask: emptyMask,
      cascadeParentIds: [],
      scope: { rootPath: ['ROOT_ID'], excluded: excluded(['borough']) },
    });
  }
  return { filters, names };
}

/** The content of `dashboards/<name>.yaml`: the layout of the placed charts and the native filters. */
export const dashboardDoc = (
  d: Dashboard,
  uuid: string,
  placed: Placed[],
  filters: Record<string, unknown>[],
): Record<string, unknown> => ({
  dashboard_title: d.title,
  description: d.description ?? null,
  css: '',
  slug: `farebox-${d.dashboard}`,
  certified_by: null,
  certification_details: null,
  published: true,
  uuid,
  position: layout(d.title, placed),
  metadata: {
    color_scheme: 'supersetColors',
    refresh_frequency: 0,
    expanded_slices: {},
    label_colors: {},
    shared_label_colors: [],
    timed_refresh_immune_slices: [],
    cross_filters_enabled: false,
    default_filters: '{}',
    chart_configuration: {},
    native_filter_configuration: filters,
  },
  version,
});
