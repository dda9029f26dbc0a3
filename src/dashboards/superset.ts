/**
 * farebox's dashboards as an Apache Superset import bundle: the v1 ZIP that `superset import-dashboards -p
 * FILE.zip` and the UI's Import dashboard read (checked against Superset 6.1). One folder holding
 * `metadata.yaml`, `databases/<db>.yaml` (ClickHouse through the clickhouse-connect dialect, `clickhousedb://`),
 * `datasets/<db>/<name>.yaml` (one virtual dataset per chart: its SQL), `charts/<name>_<n>.yaml` and
 * `dashboards/<name>.yaml` (a grid of the charts, with a time range and a borough native filter). Every UUID
 * is a uuid v5 of the object's name, so importing again finds the same objects instead of adding copies.
 *
 * The filters become Superset's Jinja: `{from}` and `{to}` the dashboard's time range (`from_dttm`,
 * `to_dttm`), `{borough}` the value of the Borough filter (`filter_values('borough')`). Superset renders
 * Jinja in dataset SQL only with the feature flag ENABLE_TEMPLATE_PROCESSING on.
 *
 * No password is ever written. The URI names the user only, or, with `askPassword`, carries Superset's
 * password mask so that the Import dialog asks for it.
 */
import { strToU8, zipSync } from 'fflate';
import { v5 as uuidv5 } from 'uuid';
import YAML from 'yaml';
import type { WarehouseConfig } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { loadDashboards as loadDashboardsFromDir, type Chart, type Dashboard } from './definitions.ts';

/** The mask Superset writes in place of a password, and reads as "ask for it". */
export const supersetPasswordMask = 'XXXXXXXXXX';

/** Every bundle's UUIDs are v5 UUIDs in this namespace (itself a v5 UUID of a URL). */
const namespace = uuidv5('https://github.com/farebox/farebox/superset', uuidv5.URL);
const uuidOf = (kind: string, name: string): string => uuidv5(`${kind}:${name}`, namespace);

const version = '1.0.0';

export interface SupersetExportConfig {
  /** Folder of the dashboard YAML files. */
  dashboardsDir: string;
  /** The configured warehouse: an http warehouse is Superset's default ClickHouse. */
  warehouse: WarehouseConfig;
  /**
   * The ClickHouse HTTP interface as Superset reaches it, `http(s)://[user[:password]@]host[:port][/database]`
   * (or `clickhousedb://…`); a password in it is left out. Required when the warehouse is chDB.
   */
  clickhouseUrl?: string | undefined;
  /** Put Superset's password mask in the URI, so that the UI's Import dialog asks for the password. */
  askPassword?: boolean | undefined;
  /** The Superset database's name (unique in Superset). */
  databaseName?: string | undefined;
  /** The query behind the Borough filter's values. */
  boroughsSql?: string | undefined;
}

export interface SupersetExportDeps {
  now?: () => Date;
  loadDashboards?: (dir: string) => Map<string, Dashboard>;
}

export interface SupersetExportedChart {
  name: string;
  title: string;
  vizType: string;
  uuid: string;
  file: string;
  datasetFile: string;
  /** Why the chart looks other than in farebox, when it does. */
  note?: string;
}

export interface SupersetExportSummary {
  /** The bundle's top folder. */
  root: string;
  database: { name: string; uri: string; uuid: string; file: string };
  dashboards: {
    name: string;
    title: string;
    uuid: string;
    file: string;
    charts: SupersetExportedChart[];
    /** The native filters of the dashboard: 'time range', 'borough'. */
    filters: string[];
  }[];
  /** Charts (or whole dashboards, chart '*') Superset cannot show, and why. */
  skipped: { dashboard: string; chart: string; reason: string }[];
  /** What to do on the Superset side. */
  notes: string[];
  files: string[];
}

export interface SupersetBundle {
  bytes: Uint8Array;
  summary: SupersetExportSummary;
}

// ---- the ClickHouse database --------------------------------------------------------------------------

const chdbHint =
  'give the ClickHouse server Superset should query, e.g. --clickhouse-url http://farebox@clickhouse:8123/farebox ' +
  '(chDB runs inside farebox and has no server; load the same data into a ClickHouse server for Superset)';

/** The SQLAlchemy URI (`clickhousedb://user@host:port/database`) Superset connects with; never a password. */
export function supersetDatabaseUri(
  config: Pick<SupersetExportConfig, 'warehouse' | 'clickhouseUrl' | 'askPassword'>,
): { uri: string; passwordLeftOut: boolean } {
  const { warehouse } = config;
  let raw = config.clickhouseUrl;
  if (raw === undefined || raw === '') {
    if (warehouse.kind === 'chdb')
      throw new FareboxError(
        'config_invalid',
        'the warehouse is chDB (embedded in farebox): Superset needs the URL of a ClickHouse server',
        { where: 'FAREBOX_WAREHOUSE', hint: chdbHint },
      );
    raw = warehouse.url;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FareboxError('bad_request', `--clickhouse-url is not a URL: '${raw}'`, {
      where: '--clickhouse-url',
      hint: chdbHint,
    });
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!['http', 'https', 'clickhousedb'].includes(scheme) || url.hostname === '')
    throw new FareboxError(
      'bad_request',
      `--clickhouse-url must be ClickHouse's HTTP interface, http(s)://host:port/database: '${raw}'`,
      { where: '--clickhouse-url', hint: chdbHint },
    );
  const fromConfig = config.clickhouseUrl === undefined || config.clickhouseUrl === '';
  const user =
    decodeURIComponent(url.username) ||
    (fromConfig && warehouse.kind === 'http' ? warehouse.username : 'default');
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || warehouse.database;
  const secure = scheme === 'https' || url.searchParams.get('secure') === 'true';
  const port = url.port || (secure ? '8443' : '8123');
  const host =
    url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname;
  const password = config.askPassword === true ? `:${supersetPasswordMask}` : '';
  const uri =
    `clickhousedb://${encodeURIComponent(user)}${password}@${host}:${port}/${encodeURIComponent(database)}` +
    (secure ? '?secure=true' : '');
  const passwordLeftOut =
    url.password !== '' || (fromConfig && warehouse.kind === 'http' && warehouse.password !== '');
  return { uri, passwordLeftOut };
}

// ---- SQL: filters to Jinja, columns out of the SELECT ---------------------------------------------------

export type FilterName = 'from' | 'to' | 'borough';

/**
 * The Jinja each filter becomes. `from_dttm`/`to_dttm` are the chart's time range as ISO strings (None
 * without one: farebox's defaults then, all time); `filter_values('borough')` the Borough filter's values,
 * quoted by `where_in` with the ClickHouse dialect (one value: `('Queens')`, a plain string in ClickHouse),
 * and taken out of the outer query (`remove_filter`) since the inner one applies it.
 */
export const supersetFilterJinja: Record<FilterName, string> = {
  from: `parseDateTime64BestEffort('{{ from_dttm or "1970-01-01T00:00:00" }}', 3, 'UTC')`,
  to: `parseDateTime64BestEffort('{{ to_dttm or "2100-01-01T00:00:00" }}', 3, 'UTC')`,
  borough: `{{ (filter_values('borough', remove_filter=True)[:1] or ['']) | where_in }}`,
};

/** A chart's SQL with `{from}`, `{to}` and `{borough}` as Superset Jinja, and which of them it used. */
export function toSupersetSql(sql: string): { sql: string; filters: Set<FilterName> } {
  const filters = new Set<FilterName>();
  const out = sql.replace(/\{(from|to|borough)\}/g, (_m, name: FilterName) => {
    filters.add(name);
    return supersetFilterJinja[name];
  });
  return { sql: out.trim().replace(/;\s*$/, ''), filters };
}

export interface SelectColumn {
  name: string;
  /** The expression behind the name (the name itself for a plain column). */
  expression: string;
}

/** The SQL without comments, string literals blanked (same length), for scanning. */
function blank(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length;) {
    const c = sql[i];
    const two = sql.slice(i, i + 2);
    if (two === '--') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (two === '/*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === "'") {
      let j = i + 1;
      while (j < sql.length && sql[j] !== "'") j += sql[j] === '\\' ? 2 : 1;
      out += `'${'_'.repeat(Math.max(0, Math.min(j, sql.length) - i - 1))}'`;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out.slice(0, sql.length);
}

/** Positions of a keyword at parenthesis depth 0 (whole words, any case). */
function topLevel(scan: string, keyword: string): number[] {
  const out: number[] = [];
  let depth = 0;
  const re = new RegExp(`^${keyword}\\b`, 'i');
  for (let i = 0; i < scan.length; i++) {
    const c = scan[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /\w/.test(c ?? '') && !/\w/.test(scan[i - 1] ?? '') && re.test(scan.slice(i)))
      out.push(i);
  }
  return out;
}

/**
 * The columns the query returns, read from its first top-level SELECT list: `expr AS name`, or a plain
 * (possibly qualified) column. Undefined when a column has no name to read (`*`, an expression without AS).
 */
export function selectColumns(sql: string): SelectColumn[] | undefined {
  const scan = blank(sql);
  const select = topLevel(scan, 'select')[0];
  if (select === undefined) return undefined;
  const from = topLevel(scan, 'from').find((i) => i > select) ?? scan.length;
  let start = select + 'select'.length;
  const distinct = /^\s+distinct\b/i.exec(scan.slice(start, from));
  if (distinct !== null) start += distinct[0].length;
  const items: [number, number][] = [];
  let depth = 0;
  let itemStart = start;
  for (let i = start; i < from; i++) {
    const c = scan[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      items.push([itemStart, i]);
      itemStart = i + 1;
    }
  }
  items.push([itemStart, from]);
  const out: SelectColumn[] = [];
  for (const [a, b] of items) {
    const text = sql.slice(a, b).trim();
    const scanned = scan.slice(a, b).trim();
    const alias = /\s+as\s+([`"]?)([A-Za-z_][\w]*)\1\s*$/i.exec(scanned);
    if (alias !== null) {
      out.push({ name: alias[2] ?? '', expression: text.slice(0, alias.index).trim() });
      continue;
    }
    const plain = /^(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)$/.exec(scanned);
    if (plain === null) return undefined;
    out.push({ name: plain[1] ?? '', expression: text });
  }
  return out;
}

/** The keys of the query's top-level ORDER BY that are plain columns, in order. */
export function orderKeys(sql: string): { column: string; desc: boolean }[] {
  const scan = blank(sql);
  const at = topLevel(scan, 'order').at(-1);
  if (at === undefined) return [];
  const by = /^order\s+by\s+/i.exec(scan.slice(at));
  if (by === null) return [];
  const end = topLevel(scan, 'limit').find((i) => i > at) ?? scan.length;
  return scan
    .slice(at + by[0].length, end)
    .split(',')
    .flatMap((key) => {
      const m = /^\s*([`"]?)([A-Za-z_]\w*)\1(?:\s+(asc|desc))?\s*$/i.exec(key);
      return m === null ? [] : [{ column: m[2] ?? '', desc: m[3]?.toLowerCase() === 'desc' }];
    });
}

/** A column that holds a point in time, judged from its name and expression. */
function looksTemporal(column: SelectColumn): boolean {
  const e = column.expression.replace(/\s+/g, '');
  if (/^(toStartOf\w+|toDate\w*|toDateTime\w*|parseDateTime\w*|now\w*|date_trunc|toMonday)\(/i.test(e))
    return true;
  // The value of max(x), min(x), any(x), argMax(x, by)…, or the column itself.
  const inner = /^\w+\(([A-Za-z_][\w.]*)[,)]/.exec(e)?.[1] ?? e;
  return /(^|[._])(at|time|date|datetime|timestamp)$/i.test(inner);
}

// ---- charts ---------------------------------------------------------------------------------------------

interface DatasetColumn {
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

const column = (name: string, temporal: boolean): DatasetColumn => ({
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

const humanize = (name: string): string => {
  const s = name.replace(/_+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
};

interface ChartPlan {
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
function planChart(chart: Chart, columns: DatasetColumn[], known: boolean, sql: string): ChartPlan {
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

// ---- the dashboard layout ---------------------------------------------------------------------------------

interface Placed {
  id: number;
  uuid: string;
  title: string;
  wide: boolean;
}

/** Superset's position JSON (v2): a header, then rows of charts, two per row, tables and maps alone. */
function layout(title: string, charts: Placed[]): Record<string, unknown> {
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

// ---- the bundle -------------------------------------------------------------------------------------------

/** A file-name-safe form of a name, as Superset's own exports make them. */
const fileName = (name: string): string => name.replace(/[^\w.-]+/g, '_');

const stamp = (d: Date): string =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');

/** YAML as Superset (PyYAML, YAML 1.1) reads it: 'yes', 'on', dates and the like stay strings, quoted. */
const toYaml = (value: unknown): string =>
  YAML.stringify(value, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });

/** The bundle (ZIP bytes) and what went into it. */
export function exportSupersetBundle(
  config: SupersetExportConfig,
  deps: SupersetExportDeps = {},
): SupersetBundle {
  const now = (deps.now ?? (() => new Date()))();
  const load = deps.loadDashboards ?? loadDashboardsFromDir;
  const { uri, passwordLeftOut } = supersetDatabaseUri(config);
  const dashboards = load(config.dashboardsDir);
  if (dashboards.size === 0)
    throw new FareboxError('bad_request', `no dashboards in ${config.dashboardsDir}`, {
      where: config.dashboardsDir,
      hint: 'point --dashboards (FAREBOX_DASHBOARDS) at the folder of dashboard YAML files, e.g. ./dashboards',
    });

  const databaseName = config.databaseName ?? 'farebox_warehouse';
  const databaseUuid = uuidOf('database', databaseName);
  const database = fileName(databaseName);
  const root = `farebox_superset_${stamp(now)}`;
  const files = new Map<string, string>();
  const summary: SupersetExportSummary = {
    root,
    database: { name: databaseName, uri, uuid: databaseUuid, file: `databases/${database}.yaml` },
    dashboards: [],
    skipped: [],
    notes: [],
    files: [],
  };
  const usedFilters = new Set<FilterName>();
  let chartCount = 0;
  const dataset = (tableName: string, sql: string, columns: DatasetColumn[], description: string): string => {
    const uuid = uuidOf('dataset', tableName);
    files.set(
      `datasets/${database}/${fileName(tableName)}.yaml`,
      toYaml({
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
      }),
    );
    return uuid;
  };

  const boroughsName = 'farebox_boroughs';
  const boroughsUuid = uuidOf('dataset', boroughsName);

  for (const d of dashboards.values()) {
    const placed: (Placed & { filters: Set<FilterName> })[] = [];
    const exported: SupersetExportedChart[] = [];
    for (const chart of d.charts) {
      if (chart.sql === undefined) {
        summary.skipped.push({
          dashboard: d.dashboard,
          chart: chart.name,
          reason:
            chart.source === undefined
              ? 'it has no SQL'
              : `it reads farebox's built-in source '${chart.source}', which is not in the warehouse`,
        });
        continue;
      }
      const { sql, filters } = toSupersetSql(chart.sql);
      for (const f of filters) usedFilters.add(f);
      const read = selectColumns(chart.sql);
      const known = read !== undefined;
      const selected =
        read ??
        [...new Set([chart.x, chart.series, ...[chart.y ?? []].flat()])].flatMap((n) =>
          n === undefined ? [] : [{ name: n, expression: n }],
        );
      // A line's x is time, whatever its name says.
      const lineX = chart.type === 'line' ? (chart.x ?? selected[0]?.name) : undefined;
      const columnList = selected.map((c) => column(c.name, c.name === lineX || looksTemporal(c)));
      const plan = planChart(chart, columnList, known, chart.sql);
      const tableName = `${d.dashboard}_${chart.name}`.replace(/-/g, '_');
      const datasetUuid = dataset(
        tableName,
        sql,
        columnList,
        `farebox chart '${chart.name}' of dashboard '${d.dashboard}'${chart.description === undefined ? '' : `: ${chart.description}`}`,
      );
      chartCount++;
      const uuid = uuidOf('chart', `${d.dashboard}/${chart.name}`);
      const file = `charts/${fileName(chart.name)}_${chartCount}.yaml`;
      files.set(
        file,
        toYaml({
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
        }),
      );
      placed.push({
        id: chartCount,
        uuid,
        title: chart.title,
        wide: plan.vizType === 'table' || plan.vizType === 'deck_scatter',
        filters,
      });
      exported.push({
        name: chart.name,
        title: chart.title,
        vizType: plan.vizType,
        uuid,
        file,
        datasetFile: `datasets/${database}/${fileName(tableName)}.yaml`,
        ...(plan.note === undefined ? {} : { note: plan.note }),
      });
    }
    if (placed.length === 0) {
      summary.skipped.push({ dashboard: d.dashboard, chart: '*', reason: 'none of its charts can be shown' });
      continue;
    }

    const nativeFilters: Record<string, unknown>[] = [];
    const filterNames: string[] = [];
    const excluded = (needs: FilterName[]) =>
      placed.filter((c) => !needs.some((f) => c.filters.has(f))).map((c) => c.id);
    if (placed.some((c) => c.filters.has('from') || c.filters.has('to'))) {
      filterNames.push('time range');
      nativeFilters.push({
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
      filterNames.push('borough');
      nativeFilters.push({
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

    const uuid = uuidOf('dashboard', d.dashboard);
    const file = `dashboards/${fileName(d.dashboard)}.yaml`;
    files.set(
      file,
      toYaml({
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
          native_filter_configuration: nativeFilters,
        },
        version,
      }),
    );
    summary.dashboards.push({
      name: d.dashboard,
      title: d.title,
      uuid,
      file,
      charts: exported,
      filters: filterNames,
    });
  }
  if (summary.dashboards.length === 0)
    throw new FareboxError(
      'bad_request',
      `no chart of the dashboards in ${config.dashboardsDir} can go to Superset`,
      {
        where: config.dashboardsDir,
        hint: summary.skipped.map((s) => `${s.dashboard}/${s.chart}: ${s.reason}`).join('; '),
      },
    );

  if (usedFilters.has('borough'))
    dataset(
      boroughsName,
      config.boroughsSql ?? "SELECT DISTINCT borough FROM dim_zones WHERE borough != '' ORDER BY borough",
      [column('borough', false)],
      'The values of the Borough filter of the farebox dashboards (the TLC zones, dim_zones).',
    );

  files.set(
    `databases/${database}.yaml`,
    toYaml({
      database_name: databaseName,
      sqlalchemy_uri: uri,
      cache_timeout: null,
      expose_in_sqllab: true,
      allow_run_async: false,
      allow_ctas: false,
      allow_cvas: false,
      allow_dml: false,
      allow_csv_upload: false,
      extra: { allows_virtual_table_explore: true, metadata_params: {}, engine_params: {} },
      uuid: databaseUuid,
      version,
    }),
  );
  files.set(
    'metadata.yaml',
    toYaml({ version, type: 'Dashboard', timestamp: now.toISOString().replace('Z', '+00:00') }),
  );

  if (usedFilters.size > 0)
    summary.notes.push(
      "Turn on Jinja in Superset: FEATURE_FLAGS = {'ENABLE_TEMPLATE_PROCESSING': True} in superset_config.py " +
        '(or the environment variable SUPERSET_FEATURE_ENABLE_TEMPLATE_PROCESSING=true). The datasets use ' +
        `${[...usedFilters].map((f) => `{${f}}`).join(', ')} as Jinja (from_dttm, to_dttm, filter_values('borough')); ` +
        'without the flag ClickHouse gets the {{ … }} text and the charts fail.',
    );
  if (usedFilters.has('borough'))
    summary.notes.push(
      `The Borough filter lists the boroughs of the dataset ${boroughsName} (dim_zones, built by \`farebox transform build\`).`,
    );
  summary.notes.push(
    config.askPassword === true
      ? `No password in the bundle: the URI carries Superset's mask, so the UI's Import dashboard dialog asks for it ` +
          `(the REST API takes it as passwords={"${summary.database.file}": "…"}). \`superset import-dashboards\` ` +
          'cannot answer it: leave out --ask-password for the command line.'
      : 'No password in the bundle' +
          (passwordLeftOut ? ' (the one in the warehouse URL was left out)' : '') +
          `: after importing, set it with \`superset set-database-uri -d ${databaseName} -u ` +
          `'${uri.replace('@', ':PASSWORD@')}' --skip_create\`, or in Settings → Database Connections.`,
  );
  summary.notes.push(
    'Importing again replaces the dashboards (same UUIDs); Superset keeps an existing database, dataset or chart ' +
      'as it is, so delete those in Superset first to take changed SQL or chart settings.',
  );

  const sorted = [...files.keys()].sort();
  summary.files = sorted.map((f) => `${root}/${f}`);
  const mtime = now;
  const bytes = zipSync(
    Object.fromEntries(sorted.map((f) => [`${root}/${f}`, [strToU8(files.get(f) ?? ''), { mtime }]])),
  );
  return { bytes, summary };
}

/** The summary as lines for people: what went in, what did not, what to do next. */
export function describeSupersetExport(summary: SupersetExportSummary, file: string): string {
  const lines = [`wrote ${file}: Superset import bundle ${summary.root}/`];
  lines.push(`  database ${summary.database.name}: ${summary.database.uri}`);
  for (const d of summary.dashboards) {
    const filters = d.filters.length === 0 ? '' : `, filters: ${d.filters.join(', ')}`;
    lines.push(`  dashboard ${d.name} (${d.title}): ${d.charts.length} chart(s)${filters}`);
    for (const c of d.charts)
      lines.push(`    ${c.name} → ${c.vizType}${c.note === undefined ? '' : ` (${c.note})`}`);
  }
  for (const s of summary.skipped)
    lines.push(`  skipped ${s.dashboard}${s.chart === '*' ? '' : `/${s.chart}`}: ${s.reason}`);
  lines.push('', ...summary.notes.map((n) => `note: ${n}`));
  return `${lines.join('\n')}\n`;
}
