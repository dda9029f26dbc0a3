/** The charts: the Superset viz type and params for each farebox chart type, and the chart's YAML. */
import type { Chart } from '../definitions.ts';
import type { DatasetColumn } from './datasets.ts';
import { version } from './files.ts';
import { orderKeys } from './sql.ts';

const humanize = (name: string): string => {
  const s = name.replace(/_+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
};

export interface ChartPlan {
  vizType: string;
  params: Record<string, unknown>;
  note?: string;
}

const noTimeFilter = (subject: string) => ({
  clause: 'WHERE',
  subject,
  operator: 'TEMPORAL_RANGE',
  comparator: 'No filter',
  expressionType: 'SIMPLE',
});

/** OpenStreetMap tiles: deck.gl charts of Superset 6 draw them without a Mapbox key. */
const osmTiles = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';

/** The Superset chart for a farebox chart over the given dataset columns. */
export function planChart(chart: Chart, columns: DatasetColumn[], known: boolean, sql: string): ChartPlan {
  const names = columns.map((c) => c.column_name);
  const temporal = new Set(columns.filter((c) => c.is_dttm).map((c) => c.column_name));
  const x = chart.x ?? names[0];
  const ys =
    chart.y === undefined
      ? names.filter((n) => n !== x && n !== chart.series)
      : Array.isArray(chart.y)
        ? chart.y
        : [chart.y];
  const taken = new Set(names);
  const metric = (y: string) => {
    // A label equal to a column name would shadow it in ClickHouse (`sum(trips) AS trips`).
    let label = humanize(y);
    if (taken.has(label)) label = `${label} (sum)`;
    return {
      expressionType: 'SIMPLE',
      column: { column_name: y },
      aggregate: 'SUM',
      label,
      hasCustomLabel: true,
      optionName: `metric_${y}`,
      sqlExpression: null,
    };
  };
  const metrics = ys.map(metric);
  const table = (note?: string): ChartPlan => ({
    vizType: 'table',
    params: {
      viz_type: 'table',
      query_mode: 'raw',
      all_columns: names,
      groupby: [],
      metrics: [],
      percent_metrics: [],
      order_by_cols: [],
      adhoc_filters: [],
      row_limit: 10000,
      server_page_length: 10,
      include_search: true,
      show_cell_bars: true,
      color_pn: true,
      table_timestamp_format: 'smart_date',
      temporal_columns_lookup: Object.fromEntries([...temporal].map((n) => [n, true])),
      extra_form_data: {},
    },
    ...(note === undefined ? {} : { note }),
  });
  const unreadable = 'its SQL names no columns farebox can read, so Superset shows it as a table';
  const common = {
    row_limit: 10000,
    color_scheme: 'supersetColors',
    show_legend: true,
    legendType: 'scroll',
    legendOrientation: 'top',
    rich_tooltip: true,
    y_axis_format: 'SMART_NUMBER',
    truncate_metric: true,
    extra_form_data: {},
  };
  const series = chart.series === undefined ? [] : [chart.series];

  switch (chart.type) {
    case 'table':
      return table(known ? undefined : `${unreadable}: pick its columns in Superset`);
    case 'line': {
      if (x === undefined || metrics.length === 0) return table(unreadable);
      return {
        vizType: 'echarts_timeseries_line',
        params: {
          viz_type: 'echarts_timeseries_line',
          x_axis: x,
          time_grain_sqla: null,
          metrics,
          groupby: series,
          adhoc_filters: temporal.has(x) ? [noTimeFilter(x)] : [],
          order_desc: true,
          x_axis_sort_asc: true,
          seriesType: 'line',
          markerEnabled: false,
          zoomable: true,
          x_axis_time_format: 'smart_date',
          tooltipTimeFormat: 'smart_date',
          ...common,
        },
      };
    }
    case 'bar':
    case 'histogram': {
      if (x === undefined) return table(unreadable);
      if (chart.type === 'histogram' && chart.y === undefined)
        // Raw values: Superset bins them itself.
        return {
          vizType: 'histogram_v2',
          params: {
            viz_type: 'histogram_v2',
            column: x,
            groupby: series,
            bins: 10,
            normalize: false,
            cumulative: false,
            adhoc_filters: [],
            row_limit: 10000,
            color_scheme: 'supersetColors',
            show_legend: true,
            extra_form_data: {},
          },
        };
      if (metrics.length === 0) return table(unreadable);
      // The SQL's ORDER BY says how the categories go: by x (hours, bins) or by the value (top lists).
      const keys = orderKeys(sql);
      const xKey = keys.find((k) => k.column === x);
      const yKey = keys[0] !== undefined && ys.includes(keys[0].column) ? keys[0] : undefined;
      const byMetric =
        xKey === undefined && yKey !== undefined ? metrics[ys.indexOf(yKey.column)] : undefined;
      return {
        vizType: 'echarts_timeseries_bar',
        params: {
          viz_type: 'echarts_timeseries_bar',
          x_axis: x,
          time_grain_sqla: null,
          xAxisForceCategorical: !temporal.has(x),
          metrics,
          groupby: series,
          adhoc_filters: temporal.has(x) ? [noTimeFilter(x)] : [],
          orientation: 'vertical',
          stack: chart.series === undefined ? null : 'Stack',
          order_desc: true,
          x_axis_sort: byMetric === undefined ? x : byMetric.label,
          x_axis_sort_asc: byMetric === undefined ? xKey?.desc !== true : yKey?.desc !== true,
          x_axis_time_format: 'smart_date',
          ...common,
        },
        ...(chart.type === 'histogram'
          ? {
              note: 'pre-binned (x = bin, y = count): a bar per bin, since Superset’s histogram bins raw values',
            }
          : {}),
      };
    }
    case 'number': {
      const y = ys[0] ?? names[0];
      if (y === undefined) return table(unreadable);
      return {
        vizType: 'big_number_total',
        params: {
          viz_type: 'big_number_total',
          metric: metric(y),
          adhoc_filters: [],
          header_font_size: 0.4,
          subheader_font_size: 0.15,
          y_axis_format: 'SMART_NUMBER',
          time_format: 'smart_date',
          extra_form_data: {},
        },
      };
    }
    case 'map': {
      const lat = names.find((n) => /^(lat|latitude)$/i.test(n));
      const lon = names.find((n) => /^(lon|lng|long|longitude)$/i.test(n));
      if (lat === undefined || lon === undefined)
        return table('a map needs lat and lon columns; without them Superset shows a table');
      return {
        vizType: 'deck_scatter',
        params: {
          viz_type: 'deck_scatter',
          spatial: { type: 'latlong', latCol: lat, lonCol: lon },
          mapbox_style: osmTiles,
          viewport: { latitude: 40.73, longitude: -73.94, zoom: 10, bearing: 0, pitch: 0 },
          point_radius_fixed: { type: 'fix', value: 40 },
          point_unit: 'square_m',
          min_radius: 2,
          max_radius: 250,
          multiplier: 1,
          color_picker: { r: 47, g: 111, b: 222, a: 1 },
          groupby: [],
          adhoc_filters: [],
          row_limit: 5000,
          time_grain_sqla: null,
          extra_form_data: {},
        },
        note: 'deck.gl scatterplot on OpenStreetMap tiles (Superset 6; older Superset needs MAPBOX_API_KEY)',
      };
    }
    default:
      return table(`Superset has no '${chart.type}' chart for farebox's rows, so it shows them as a table`);
  }
}

/** The content of `charts/<name>_<n>.yaml`: the plan's viz type and params over the chart's dataset. */
export const chartDoc = (
  chart: Chart,
  plan: ChartPlan,
  uuid: string,
  datasetUuid: string,
): Record<string, unknown> => ({
  slice_name: chart.title,
  description: chart.description ?? null,
  certified_by: null,
  certification_details: null,
  viz_type: plan.vizType,
  params: plan.params,
  query_context: null,
  cache_timeout: null,
  uuid,
  version,
  dataset_uuid: datasetUuid,
});
