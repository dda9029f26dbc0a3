/**
 * The taxi syncs end to end: the real TLC files through the import and simulated drivers' trips, the taxi
 * project built, then syncs/drivers.yaml, zone_demand.yaml and tier_changes.yaml run, into an operational
 * database on the PostgreSQL server (checked with psql, not with farebox's code) and a notification
 * webhook. New trips then change scores and tiers; after the rebuild each sync sends exactly what changed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngines, type Engines } from '../src/cli/engines.ts';
import { importCommand } from '../src/cli/import.ts';
import { syncsOf } from '../src/cli/project.ts';
import { runSyncOn, syncNamed } from '../src/cli/syncs.ts';
import { openOpsDb, type OpsDb } from '../src/opsdb/index.ts';
import type { SyncRunSummary } from '../src/reverse-etl/index.ts';
import { buildGraph, loadProject, runCommand } from '../src/transform/index.ts';
import type { Warehouse } from '../src/warehouse/index.ts';
import { realFiles, rows, scalar, tempHome, testConfig } from './helpers.ts';
import { endpoints } from './services.ts';
import { synthesizeTrips } from './synthetic-trips.ts';

const psqlBin = fs
  .readdirSync('/usr/lib/postgresql')
  .map((v) => `/usr/lib/postgresql/${v}/bin/psql`)
  .find((p) => fs.existsSync(p)) as string;
const server = endpoints().postgres;
const database = `farebox_retl_${Date.now()}`;
const opsUrl = server.replace(/\/[^/]+$/, `/${database}`);
const psql = (url: string, sql: string): string =>
  execFileSync(psqlBin, [url, '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
  }).trim();

/** The notification webhook: batches by idempotency key (a resent batch counts once). */
const notified = new Map<string, { rows: { op: string; key: string; data: { tier: string } }[] }>();
const hook = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    notified.set(String(req.headers['idempotency-key']), JSON.parse(body) as never);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
process.env.DRIVER_NOTIFY_URL = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/tiers`;

const home = await tempHome('reverse-etl');
const config = testConfig(home, { FAREBOX_OPS_DB: opsUrl });
let engines: Engines;
let warehouse: Warehouse;
let opsDb: OpsDb;

/** The project as the scheduler builds it: seeds, then every model (incremental ones take the new rows). */
const build = async (): Promise<void> => {
  const project = loadProject(config.orchestrate.projectDir, { targetSchema: config.warehouse.database });
  for (const command of ['seed', 'run'] as const) {
    const outcome = await runCommand(
      project,
      buildGraph(project),
      { command, threads: 2, fullRefresh: false },
      { warehouse },
    );
    expect(outcome.results.filter((r) => r.status === 'error').map((r) => r.node.name)).toEqual([]);
  }
};
const sync = (name: string): Promise<SyncRunSummary> =>
  runSyncOn(syncNamed(syncsOf(config), name), { warehouse, opsDb, log: engines.log });

/** driver_scores as the drivers sync maps it, one text line per driver. */
const scores = async (): Promise<Map<string, { line: string; tier: string }>> =>
  new Map(
    (
      await rows<{ driver_id: string; line: string; tier: string }>(
        warehouse,
        `SELECT driver_id, tier, concat(toString(score), '|', tier, '|', toString(fleet_rank), '|', toString(recent_trips), '|',
           toString(recent_earnings), '|', toString(recent_tips), '|', toString(recent_hours_driven), '|',
           toString(last_trip_date), '|', toString(window_end)) AS line FROM driver_scores`,
      )
    ).map((r) => [r.driver_id, { line: r.line, tier: r.tier }]),
  );

/** The drivers table against driver_scores: count, score and trips sums, golds, earnings to the cent. */
async function driversMatch(): Promise<void> {
  const held = psql(
    opsUrl,
    "SELECT count(*), sum(score), sum(trips_30d), sum(earnings_30d), count(*) FILTER (WHERE tier = 'gold') FROM drivers",
  ).split('|');
  const [want] = await rows<Record<string, string>>(
    warehouse,
    "SELECT count() AS a, sum(score) AS b, sum(recent_trips) AS c, sum(recent_earnings) AS d, countIf(tier = 'gold') AS e FROM driver_scores",
  );
  expect(held.map(Number)).toEqual(Object.values(want ?? {}).map(Number));
}

const windowSql = `SELECT pu_location_id AS zone_id, pickup_hour, trips FROM agg_zone_hourly
  WHERE pickup_hour > (SELECT max(pickup_hour) FROM agg_zone_hourly) - INTERVAL 24 HOUR`;

/** zone_demand against the last day of agg_zone_hourly: rows, trips, and every (zone, hour) key. */
async function zoneDemandMatches(): Promise<void> {
  const held = psql(
    opsUrl,
    `SELECT count(*), sum(trips), md5(string_agg(k, ',' ORDER BY k COLLATE "C")) FROM
       (SELECT zone_id || '@' || to_char(pickup_hour AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24') AS k, trips FROM zone_demand) AS d`,
  ).split('|');
  const [want] = await rows<{ n: string; trips: string; keys: string }>(
    warehouse,
    `SELECT count() AS n, sum(trips) AS trips, lower(hex(MD5(arrayStringConcat(arraySort(groupArray(concat(toString(zone_id), '@', formatDateTime(pickup_hour, '%Y-%m-%d %H', 'UTC')))), ',')))) AS keys FROM (${windowSql})`,
  );
  expect(held).toEqual([String(want?.n), String(want?.trips), want?.keys]);
}

beforeAll(async () => {
  psql(server, `CREATE DATABASE ${database}`);
  await importCommand(config, realFiles, { load: true });
  engines = await openEngines(config, { warehouse: true });
  warehouse = engines.warehouse as Warehouse;
  // 80 drivers over 20 days up to 2026-11-20 12:00 UTC (the TLC files have no driver ids).
  await synthesizeTrips(warehouse, {
    from: 0,
    count: 6000,
    days: 20,
    agoSeconds: 3600,
    drivers: 80,
    now: "toDateTime64('2026-11-20 12:00:00', 3, 'UTC')",
    ingestedAt: 'now64(3)',
  });
  await build();
  opsDb = await openOpsDb(config.opsDb);
}, 240_000);

afterAll(async () => {
  await opsDb.close();
  await engines.close();
  hook.close();
  psql(server, `DROP DATABASE IF EXISTS ${database}`);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the taxi syncs', () => {
  it('drivers: every driver of driver_scores lands in the drivers table, and an idle rerun sends nothing', async () => {
    const drivers = await scalar(warehouse, 'SELECT count() FROM driver_scores');
    expect(drivers).toBe(80);
    expect(await sync('drivers')).toMatchObject({ added: drivers, changed: 0, deleted: 0, failed: 0 });
    await driversMatch();
    expect(await sync('drivers')).toMatchObject({ added: 0, changed: 0, deleted: 0, batches: 0 });
  });

  it('zone_demand: the last day of demand per zone and hour, mirrored', async () => {
    const result = await sync('zone_demand');
    expect(result.added).toBe(await scalar(warehouse, `SELECT count() FROM (${windowSql})`));
    expect(result.added).toBeGreaterThan(100);
    await zoneDemandMatches();
  });

  it('tier_changes: the first run records every tier as the baseline and notifies no one', async () => {
    expect(await sync('tier_changes')).toMatchObject({ added: 0, changed: 0, skipped: 80, batches: 0 });
    expect(notified.size).toBe(0);
  });

  it('after new trips and a rebuild, each sync sends exactly what changed', async () => {
    const before = await scores();
    // 12 drivers drive a lot on the next day: their scores rise, the fleet's percentiles and ranks move.
    await synthesizeTrips(warehouse, {
      from: 6000,
      count: 2500,
      days: 0.5,
      agoSeconds: 0,
      drivers: 12,
      now: "toDateTime64('2026-11-21 20:00:00', 3, 'UTC')",
      ingestedAt: 'now64(3)',
    });
    await build();
    const after = await scores();
    const changed = [...after].filter(([id, s]) => before.get(id)?.line !== s.line).map(([id]) => id);
    const tiers = [...after].filter(([id, s]) => before.get(id)?.tier !== s.tier).map(([id]) => id);
    expect(changed.length).toBeGreaterThan(0);
    expect(tiers.length).toBeGreaterThan(0);
    expect(tiers.length).toBeLessThan(changed.length);

    const drivers = await sync('drivers');
    expect(drivers).toMatchObject({ added: 0, changed: changed.length, deleted: 0, failed: 0 });
    await driversMatch();

    const notes = await sync('tier_changes');
    expect(notes).toMatchObject({ changed: tiers.length, failed: 0 });
    const sent = [...notified.values()].flatMap((b) => b.rows);
    expect(sent.map((r) => r.key).sort()).toEqual([...tiers].sort());
    for (const r of sent) {
      expect(r.op).toBe('changed');
      expect(r.data.tier).toBe(after.get(r.key)?.tier);
    }

    // The window moved by a day and a half: hours that left it are deleted, the new ones added.
    const demand = await sync('zone_demand');
    expect(demand.deleted).toBeGreaterThan(0);
    expect(demand.added).toBeGreaterThan(0);
    await zoneDemandMatches();
  });
});
