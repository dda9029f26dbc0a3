/** The bundle: every file of the import, zipped under one top folder, and its summary for people. */
import { strToU8, zipSync } from 'fflate';
import { FareboxError } from '../../errors/index.ts';
import { loadDashboards as loadDashboardsFromDir } from '../definitions.ts';
import { chartDoc, planChart } from './charts.ts';
import { column, datasetColumns, datasetDoc, type DatasetColumn } from './datasets.ts';
import { fileName, toYaml, uuidOf, version } from './files.ts';
import { dashboardDoc, nativeFilters, type PlacedChart } from './layout.ts';
import { toSupersetSql, type FilterName } from './sql.ts';
import type {
  SupersetBundle,
  SupersetExportConfig,
  SupersetExportDeps,
  SupersetExportedChart,
  SupersetExportSummary,
} from './types.ts';
import { databaseDoc, supersetDatabaseUri } from './uri.ts';

const stamp = (d: Date): string =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');

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
      toYaml(datasetDoc(tableName, sql, columns, description, uuid, databaseUuid)),
    );
    return uuid;
  };

  const boroughsName = 'farebox_boroughs';
  const boroughsUuid = uuidOf('dataset', boroughsName);

  for (const d of dashboards.values()) {
    const placed: PlacedChart[] = [];
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
      const { columns: columnList, known } = datasetColumns(chart, chart.sql);
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
      files.set(file, toYaml(chartDoc(chart, plan, uuid, datasetUuid)));
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

    const native = nativeFilters(placed, boroughsUuid);
    const uuid = uuidOf('dashboard', d.dashboard);
    const file = `dashboards/${fileName(d.dashboard)}.yaml`;
    files.set(file, toYaml(dashboardDoc(d, uuid, placed, native.filters)));
    summary.dashboards.push({
      name: d.dashboard,
      title: d.title,
      uuid,
      file,
      charts: exported,
      filters: native.names,
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

  files.set(`databases/${database}.yaml`, toYaml(databaseDoc(databaseName, uri, databaseUuid)));
  files.set(
    'metadata.yaml',
    toYaml({ version, type: 'Dashboard', timestamp: now.toISOString().replace('Z', '+00:00') }),
  );

  summary.notes.push(...notes(config, summary, usedFilters, boroughsName, passwordLeftOut));

  const sorted = [...files.keys()].sort();
  summary.files = sorted.map((f) => `${root}/${f}`);
  const mtime = now;
  const bytes = zipSync(
    Object.fromEntries(sorted.map((f) => [`${root}/${f}`, [strToU8(files.get(f) ?? ''), { mtime }]])),
  );
  return { bytes, summary };
}

/** What to do on the Superset side: Jinja on, the boroughs' dataset, the password, importing again. */
function notes(
  config: SupersetExportConfig,
  summary: SupersetExportSummary,
  usedFilters: Set<FilterName>,
  boroughsName: string,
  passwordLeftOut: boolean,
): string[] {
  const { name: databaseName, uri } = summary.database;
  const out: string[] = [];
  if (usedFilters.size > 0)
    out.push(
      "Turn on Jinja in Superset: FEATURE_FLAGS = {'ENABLE_TEMPLATE_PROCESSING': True} in superset_config.py " +
        '(or the environment variable SUPERSET_FEATURE_ENABLE_TEMPLATE_PROCESSING=true). The datasets use ' +
        `${[...usedFilters].map((f) => `{${f}}`).join(', ')} as Jinja (from_dttm, to_dttm, filter_values('borough')); ` +
        'without the flag ClickHouse gets the {{ … }} text and the charts fail.',
    );
  if (usedFilters.has('borough'))
    out.push(
      `The Borough filter lists the boroughs of the dataset ${boroughsName} (dim_zones, built by \`farebox transform build\`).`,
    );
  out.push(
    config.askPassword === true
      ? `No password in the bundle: the URI carries Superset's mask, so the UI's Import dashboard dialog asks for it ` +
          `(the REST API takes it as passwords={"${summary.database.file}": "…"}). \`superset import-dashboards\` ` +
          'cannot answer it: leave out --ask-password for the command line.'
      : 'No password in the bundle' +
          (passwordLeftOut ? ' (the one in the warehouse URL was left out)' : '') +
          `: after importing, set it with \`superset set-database-uri -d ${databaseName} -u ` +
          `'${uri.replace('@', ':PASSWORD@')}' --skip_create\`, or in Settings → Database Connections.`,
  );
  out.push(
    'Importing again replaces the dashboards (same UUIDs); Superset keeps an existing database, dataset or chart ' +
      'as it is, so delete those in Superset first to take changed SQL or chart settings.',
  );
  return out;
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
