/** The dashboards layer's door: the API behind the web app, its users and sessions, dashboard files. */
export type { AuthEnv } from './auth.ts';
export {
  createDashboardsApi,
  dashboardsApiConfig,
  type DashboardsApiConfig,
  type DashboardsApiDeps,
} from './api.ts';
export { addChart, loadDashboards, parseDashboard, type Chart, type Dashboard } from './definitions.ts';
export { isRole, openUsers, userRoles, type Session, type User, type UserRole, type Users } from './users.ts';
export { ensureFirstAdmin, type FirstAdmin } from './first-admin.ts';
export {
  describeSupersetExport,
  exportSupersetBundle,
  supersetDatabaseUri,
  toSupersetSql,
  type SupersetBundle,
  type SupersetExportConfig,
  type SupersetExportSummary,
} from './superset/index.ts';
