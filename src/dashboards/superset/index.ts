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
export { describeSupersetExport, exportSupersetBundle } from './bundle.ts';
export {
  orderKeys,
  selectColumns,
  supersetFilterJinja,
  toSupersetSql,
  type FilterName,
  type SelectColumn,
} from './sql.ts';
export type {
  SupersetBundle,
  SupersetExportConfig,
  SupersetExportDeps,
  SupersetExportedChart,
  SupersetExportSummary,
} from './types.ts';
export { supersetDatabaseUri, supersetPasswordMask } from './uri.ts';
