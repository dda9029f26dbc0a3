/** The virtual datasets: one per chart, its SQL and the columns it returns. */
import type { Chart } from '../definitions.ts';
import { version } from './files.ts';
import { looksTemporal, selectColumns } from './sql.ts';

export interface DatasetColumn {
  column_name: string;
  verbose_name: null;
  is_dttm: boolean;
  is_active: boolean;
  type: string | null;
  advanced_data_type: null;
  groupby: boolean;
  filterable: boolean;
  expression: null;
  description: null;
  python_date_format: null;
  extra: null;
}

export const column = (name: string, temporal: boolean): DatasetColumn => ({
  column_name: name,
  verbose_name: null,
  is_dttm: temporal,
  is_active: true,
  type: temporal ? 'DateTime' : null,
  advanced_data_type: null,
  groupby: true,
  filterable: true,
  expression: null,
  description: null,
  python_date_format: null,
  extra: null,
});

/**
 * The columns of a chart's dataset, read from its SQL (`sql`, the chart's own, before the Jinja), or, when
 * they cannot be read (`known` false), the chart's x, series and y.
 */
export function datasetColumns(chart: Chart, sql: string): { columns: DatasetColumn[]; known: boolean } {
  const read = selectColumns(sql);
  const known = read !== undefined;
  const selected =
    read ??
    [...new Set([chart.x, chart.series, ...[chart.y ?? []].flat()])].flatMap((n) =>
      n === undefined ? [] : [{ name: n, expression: n }],
    );
  // A line's x is time, whatever its name says.
  const lineX = chart.type === 'line' ? (chart.x ?? selected[0]?.name) : undefined;
  const columns = selected.map((c) => column(c.name, c.name === lineX || looksTemporal(c)));
  return { columns, known };
}

/** The content of `datasets/<db>/<name>.yaml`: a virtual dataset of the database, with a COUNT(*) metric. */
export const datasetDoc = (
  tableName: string,
  sql: string,
  columns: DatasetColumn[],
  description: string,
  uuid: string,
  databaseUuid: string,
): Record<string, unknown> => ({
  table_name: tableName,
  main_dttm_col: columns.find((c) => c.is_dttm)?.column_name ?? null,
  description,
  default_endpoint: null,
  offset: 0,
  cache_timeout: null,
  schema: null,
  sql,
  params: null,
  template_params: null,
  filter_select_enabled: true,
  fetch_values_predicate: null,
  extra: null,
  normalize_columns: false,
  always_filter_main_dttm: false,
  uuid,
  metrics: [
    {
      metric_name: 'count',
      verbose_name: 'COUNT(*)',
      metric_type: 'count',
      expression: 'COUNT(*)',
      description: null,
      d3format: null,
      extra: null,
      warning_text: null,
    },
  ],
  columns,
  version,
  database_uuid: databaseUuid,
});
