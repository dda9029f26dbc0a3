/** What the export takes (its configuration and dependencies) and gives back (the bundle and its summary). */
import type { WarehouseConfig } from '../../config/index.ts';
import type { Dashboard } from '../definitions.ts';

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
