/**
 * Real Apache Superset 6.1 (from PyPI, the venv services/superset.ts keeps in .venv-superset) imports the
 * bundle `farebox dashboards export-superset` writes for the repository's dashboards/: `superset
 * import-dashboards -p FILE.zip -u admin` creates the ClickHouse database, one dataset per chart, the charts
 * and the dashboards, linked as the bundle says (read back from Superset's SQLite metadata database); a
 * second import adds nothing; the password goes in with `superset set-database-uri`, and a bundle with
 * the password mask is refused by the command line, as the summary says. Superset then renders every
 * dataset's Jinja ({from}, {to}, {borough}) with a time range and a borough, and ClickHouse (chDB) parses
 * the SQL that comes out.
 *
 * No server is needed, ClickHouse included: the database points at a closed port, and Superset only warns
 * that it cannot list its schemas. A machine that cannot build the venv (no python3 3.10–3.12, PyPI
 * unreachable) fails these tests with the reason; they never skip.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { query } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSuperset,
  initSuperset,
  repo,
  runSuperset,
  supersetEnv,
  supersetPython,
} from '../../services/superset.ts';
import { exportSupersetBundle, type SupersetExportSummary } from '../../src/dashboards/superset/index.ts';
import type { WarehouseConfig } from '../../src/config/index.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-superset-import-'));
const warehouse: WarehouseConfig = { kind: 'chdb', path: path.join(tmp, 'unused'), database: 'farebox' };
/** A port nothing listens on: Superset's connection attempts fail at once. */
const clickhouseUrl = 'http://farebox@127.0.0.1:9/farebox';

let env: NodeJS.ProcessEnv;
let summary: SupersetExportSummary;
const bundle = path.join(tmp, 'farebox-superset.zip');
const masked = path.join(tmp, 'farebox-superset-masked.zip');

beforeAll(() => {
  ensureSuperset();
  env = supersetEnv(path.join(tmp, 'home'));
  initSuperset(env);
  const dashboardsDir = path.join(repo, 'dashboards');
  const exported = exportSupersetBundle({ dashboardsDir, warehouse, clickhouseUrl });
  summary = exported.summary;
  fs.writeFileSync(bundle, exported.bytes);
  fs.writeFileSync(
    masked,
    exportSupersetBundle({ dashboardsDir, warehouse, clickhouseUrl, askPassword: true }).bytes,
  );
}, 20 * 60_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const importDashboards = (file: string) =>
  spawnSync(ensureSuperset(), ['import-dashboards', '-p', file, '-u', 'admin'], { env, encoding: 'utf8' });

const uuid = (blob: unknown): string => {
  const hex = Buffer.from(blob as Uint8Array).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

function metadata<T>(sql: string): T[] {
  const db = new DatabaseSync(path.join(tmp, 'home', 'superset.db'), { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const counts = () =>
  Object.fromEntries(
    ['dbs', 'tables', 'slices', 'dashboards', 'dashboard_slices'].map((t) => [
      t,
      metadata<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)[0]?.n,
    ]),
  );

describe('superset import-dashboards', () => {
  it('refuses the bundle with the password mask on the command line, as the summary says', () => {
    const r = importDashboards(masked);
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain('Must provide a password for the database');
    expect(counts().dbs).toBe(0);
  });

  it('imports the database, a dataset per chart, the charts and the dashboards, linked by UUID', () => {
    const r = importDashboards(bundle);
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-3000)).toBe(0);

    const dbs = metadata<{
      id: number;
      database_name: string;
      sqlalchemy_uri: string;
      password: unknown;
      uuid: unknown;
    }>('SELECT id, database_name, sqlalchemy_uri, password, uuid FROM dbs');
    expect(dbs).toHaveLength(1);
    const db = dbs[0]!;
    expect(db).toMatchObject({
      database_name: 'farebox_warehouse',
      sqlalchemy_uri: summary.database.uri,
      password: null,
    });
    expect(uuid(db.uuid)).toBe(summary.database.uuid);

    const tables = metadata<{
      id: number;
      table_name: string;
      sql: string;
      uuid: unknown;
      database_id: number;
    }>('SELECT id, table_name, sql, uuid, database_id FROM tables');
    const exported = summary.dashboards.flatMap((d) => d.charts);
    const datasetNames = exported.map((c) => path.basename(c.datasetFile, '.yaml'));
    expect(tables.map((t) => t.table_name).sort()).toEqual([...datasetNames, 'farebox_boroughs'].sort());
    for (const t of tables) expect(t.database_id, t.table_name).toBe(db.id);

    const slices = metadata<{
      id: number;
      slice_name: string;
      viz_type: string;
      datasource_id: number;
      uuid: unknown;
    }>('SELECT id, slice_name, viz_type, datasource_id, uuid FROM slices');
    expect(slices).toHaveLength(exported.length);
    for (const c of exported) {
      const s = slices.find((x) => uuid(x.uuid) === c.uuid);
      expect(s, c.name).toBeDefined();
      expect(s).toMatchObject({ slice_name: c.title, viz_type: c.vizType });
      const table = tables.find((t) => t.id === s?.datasource_id);
      expect(table?.table_name, c.name).toBe(path.basename(c.datasetFile, '.yaml'));
    }

    const dashboards = metadata<{
      id: number;
      dashboard_title: string;
      slug: string;
      uuid: unknown;
      json_metadata: string;
    }>('SELECT id, dashboard_title, slug, uuid, json_metadata FROM dashboards');
    expect(dashboards.map((d) => d.slug).sort()).toEqual(
      summary.dashboards.map((d) => `farebox-${d.name}`).sort(),
    );
    for (const d of summary.dashboards) {
      const row = dashboards.find((x) => uuid(x.uuid) === d.uuid);
      expect(row?.dashboard_title, d.name).toBe(d.title);
      const members = metadata<{ uuid: unknown }>(
        `SELECT s.uuid FROM dashboard_slices ds JOIN slices s ON s.id = ds.slice_id WHERE ds.dashboard_id = ${row?.id}`,
      );
      expect(members.map((m) => uuid(m.uuid)).sort(), d.name).toEqual(d.charts.map((c) => c.uuid).sort());
      // The Borough filter now targets the boroughs dataset by its id in this Superset.
      const filters = (
        JSON.parse(row?.json_metadata ?? '{}') as {
          native_filter_configuration: { name: string; targets: { datasetId?: number }[] }[];
        }
      ).native_filter_configuration;
      expect(
        filters.map((f) => f.name.toLowerCase()),
        d.name,
      ).toEqual(d.filters);
      const borough = filters.find((f) => f.name === 'Borough');
      if (borough !== undefined)
        expect(borough.targets[0]?.datasetId).toBe(
          tables.find((t) => t.table_name === 'farebox_boroughs')?.id,
        );
    }
  });

  it('adds nothing when importing the same bundle again', () => {
    const before = counts();
    const r = importDashboards(bundle);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(counts()).toEqual(before);
  });

  it('takes the password through superset set-database-uri, stored apart from the masked URI', () => {
    const withPassword = summary.database.uri.replace('@', ':a-local-password@');
    runSuperset(['set-database-uri', '-d', summary.database.name, '-u', withPassword, '--skip_create'], env);
    const [db] = metadata<{ sqlalchemy_uri: string; password: unknown }>(
      'SELECT sqlalchemy_uri, password FROM dbs',
    );
    expect(db?.sqlalchemy_uri).toBe(summary.database.uri.replace('@', ':XXXXXXXXXX@'));
    expect(db?.password).not.toBeNull();
    expect(counts().dbs).toBe(1);
  });
});

/** Renders every dataset's SQL as Superset does for a chart-data request with the given query. */
const renderScript = String.raw`
import json, sys
from superset.app import create_app

out_file, body = sys.argv[1], json.loads(sys.argv[2])
app = create_app()
with app.app_context():
    from flask import g
    from superset import db, security_manager
    from superset.connectors.sqla.models import SqlaTable
    from superset.sql.parse import SQLScript
    from superset.common.utils.time_range_utils import get_since_until_from_time_range

    # As QueryObjectFactory does: no time range is "No filter".
    time_range = body["queries"][0].get("time_range") or "No filter"
    since, until = get_since_until_from_time_range(time_range=time_range)
    out = {}
    with app.test_request_context("/api/v1/chart/data", method="POST", json=body):
        g.user = security_manager.find_user("admin")
        for ds in db.session.query(SqlaTable).all():
            tp = ds.get_template_processor(
                from_dttm=since.isoformat() if since else None, to_dttm=until.isoformat() if until else None
            )
            sql = ds.get_rendered_sql(tp)
            SQLScript(sql, engine=ds.db_engine_spec.engine)  # what Superset parses before it runs the query
            out[ds.table_name] = sql
    with open(out_file, "w") as f:
        json.dump(out, f)
`;

function render(body: unknown): Record<string, string> {
  const script = path.join(tmp, 'render.py');
  const out = path.join(tmp, 'rendered.json');
  fs.writeFileSync(script, renderScript);
  const r = spawnSync(supersetPython(), [script, out, JSON.stringify(body)], { env, encoding: 'utf8' });
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, string>;
}

const parsesInClickHouse = (sql: string): string => query(`EXPLAIN AST ${sql}`, 'TSV');

describe("Superset's Jinja in the datasets", () => {
  it('renders a time range and a borough into ClickHouse SQL that parses', () => {
    const rendered = render({
      queries: [
        {
          time_range: '2025-01-01T00:00:00 : 2025-02-01T00:00:00',
          filters: [{ col: 'borough', op: 'IN', val: ["Queen's"] }],
        },
      ],
    });
    const datasets = summary.dashboards
      .flatMap((d) => d.charts)
      .map((c) => path.basename(c.datasetFile, '.yaml'));
    expect(Object.keys(rendered).sort()).toEqual([...datasets, 'farebox_boroughs'].sort());
    for (const [table, sql] of Object.entries(rendered)) {
      expect(sql, table).not.toContain('{{');
      expect(sql, table).not.toMatch(/\{(from|to|borough)\}/);
      expect(() => parsesInClickHouse(sql), `${table}:\n${sql}`).not.toThrow();
    }
    const trips = rendered.fleet_trips_per_minute ?? '';
    expect(trips).toContain("parseDateTime64BestEffort('2025-01-01T00:00:00', 3, 'UTC')");
    expect(trips).toContain("parseDateTime64BestEffort('2025-02-01T00:00:00', 3, 'UTC')");
    // The borough is quoted by Superset's where_in with the ClickHouse dialect.
    expect(trips).toContain("('Queen''s') = '' OR pu_borough = ('Queen''s')");
  });

  it('renders no time range and no borough as all time and every borough', () => {
    const rendered = render({ queries: [{}] });
    const trips = rendered.fleet_trips_per_minute ?? '';
    expect(trips).toContain("parseDateTime64BestEffort('1970-01-01T00:00:00', 3, 'UTC')");
    expect(trips).toContain("parseDateTime64BestEffort('2100-01-01T00:00:00', 3, 'UTC')");
    expect(trips).toContain("('') = '' OR pu_borough = ('')");
    expect(() => parsesInClickHouse(trips)).not.toThrow();
  });
});
