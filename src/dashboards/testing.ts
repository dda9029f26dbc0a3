/**
 * Tests' dashboards API on chDB and an in-memory PGlite: the columns the charts of dashboards/ read, three
 * trips and an hour of them, and the users ada (admin), eve (editor) and vic (viewer).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { repoRoot } from '../config/index.ts';
import type { EventLog } from '../log/index.ts';
import { openOpsDb, type OpsDb } from '../opsdb/index.ts';
import { migrate, openWarehouse, type Warehouse } from '../warehouse/index.ts';
import { createDashboardsApi, type DashboardsApiConfig } from './api.ts';
import type { AuthEnv } from './auth.ts';
import { openUsers } from './users.ts';

export const passwords = { ada: 'correct horse', eve: 'editor pass', vic: 'viewer pass' } as const;

/** Every answer's fields, loosely: each test reads the ones its route sends. */
export interface Body {
  [field: string]: unknown;
  error: { code: string; message: string; hint?: string };
  token: string;
  users: { name: string }[];
  rows: Record<string, unknown>[];
  columns: { name: string; type: string }[];
  tables: { name: string; columns: { name: string; type: string }[] }[];
  dashboards: { name: string }[];
  charts: { name: string; description?: string }[];
}

export interface Fixture {
  dir: string;
  warehouse: Warehouse;
  db: OpsDb;
  config: DashboardsApiConfig;
  app: Hono<AuthEnv>;
  call(route: string, init?: { method?: string; token?: string; body?: unknown }): Promise<Response>;
  json(res: Response): Promise<Body>;
  /** One of ada, eve and vic by name alone, or anyone with a password. */
  signIn(name: string, password?: string): Promise<Body>;
  /** Another API on the same engines, with some of the configuration changed. */
  variant(changes: Partial<DashboardsApiConfig>, log?: EventLog): Promise<Hono<AuthEnv>>;
  close(): Promise<void>;
}

export async function openFixture(changes: Partial<DashboardsApiConfig> = {}): Promise<Fixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-dashboards-'));
  const warehouse = await openWarehouse({ kind: 'chdb', path: path.join(dir, 'chdb'), database: 'farebox' });
  await migrate(warehouse);
  const sql = (query: string) => warehouse.client.command({ query });
  await sql(`CREATE TABLE fct_trips (pickup_at DateTime64(3, 'UTC'), pu_borough Nullable(String),
    pu_zone Nullable(String), do_borough Nullable(String), do_zone Nullable(String), payment_type_name String,
    fare_amount Decimal(12, 2), tip_share_of_fare Nullable(Float64), trip_distance_miles Float64)
    ENGINE = MergeTree ORDER BY pickup_at`);
  await sql(`INSERT INTO fct_trips VALUES
    ('2025-01-01 08:00:00', 'Manhattan', 'Midtown, "Center"', 'Queens', 'JFK Airport', 'card', 12.5, 0.2, 1.5),
    ('2025-01-01 08:00:30', 'Queens', 'JFK Airport', 'Manhattan', 'Midtown, "Center"', 'cash', 52, 0, 17.2),
    ('2025-01-02 09:00:00', 'Manhattan', 'Midtown, "Center"', 'Manhattan', 'SoHo', 'card', 8, 0.25, 0.9)`);
  await sql(`CREATE TABLE agg_zone_hourly (pickup_hour DateTime('UTC'), local_hour_of_day UInt8,
    pu_borough Nullable(String), revenue Decimal(18, 2), trips UInt64) ENGINE = MergeTree ORDER BY pickup_hour`);
  await sql(`INSERT INTO agg_zone_hourly VALUES ('2025-01-01 08:00:00', 3, 'Manhattan', 15.5, 1)`);
  const db = await openOpsDb({ kind: 'pglite', dir: 'memory://' });
  const users = await openUsers(db);
  await users.add('ada', passwords.ada, 'admin');
  await users.add('vic', passwords.vic, 'viewer');
  const config: DashboardsApiConfig = {
    anonymousRole: undefined,
    dir: path.join(repoRoot, 'dashboards'),
    timeoutSeconds: 30,
    maxRows: 100,
    zonesFile: path.join(repoRoot, 'transform/seeds/taxi_zone_lookup.csv'),
    projectDir: path.join(repoRoot, 'transform'),
    group: 'farebox-sink',
    ...changes,
  };
  const app = await createDashboardsApi(config, { warehouse, opsDb: db });
  const call: Fixture['call'] = async (route, init = {}) =>
    app.request(route, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  const json = async (res: Response) => (await res.json()) as Body;
  return {
    dir,
    warehouse,
    db,
    config,
    app,
    call,
    json,
    signIn: async (name, password) =>
      json(
        await call('/api/session', {
          body: { name, password: password ?? passwords[name as keyof typeof passwords] },
        }),
      ),
    variant: (more, log) =>
      createDashboardsApi(
        { ...config, ...more },
        { warehouse, opsDb: db, ...(log === undefined ? {} : { log }) },
      ),
    close: async () => {
      await db.close();
      await warehouse.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
