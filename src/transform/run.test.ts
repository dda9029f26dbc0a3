/**
 * The runner against chDB. chDB opens one data directory per process, so this file opens one warehouse
 * and gives each test its own database (dbt's target schema) for the fixture's raw table and models.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse, type Warehouse } from '../warehouse/index.ts';
import {
  buildGraph,
  loadProject,
  runCommand,
  summary,
  writeManifest,
  writeRunResults,
  type Command,
  type NodeResult,
  type Project,
  type RunOutcome,
} from './index.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
let dir: string;
let warehouse: Warehouse;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-transform-'));
  warehouse = await openWarehouse({ kind: 'chdb', path: path.join(dir, 'chdb'), database: 'farebox' });
});
afterAll(async () => {
  await warehouse.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Ride = [id: number | null, zone: number, fare: number | null, status: string, ended: string];
const cleanRides: Ride[] = [
  [1, 1, 10.5, 'completed', '2024-01-01 10:00:00'],
  [2, 2, 20, 'completed', '2024-01-01 11:00:00'],
  [3, 1, 5, 'cancelled', '2024-01-02 10:00:00'],
];

const sqlValue = (v: number | string | null): string =>
  v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v}'`;

async function insertRides(schema: string, rides: Ride[]): Promise<void> {
  const values = rides.map((r) => `(${r.map(sqlValue).join(', ')})`).join(', ');
  await warehouse.client.command({ query: `INSERT INTO \`${schema}\`.raw_rides VALUES ${values}` });
}

/** The rides fixture on its own database, with raw rides loaded as the sink would. */
async function ridesProject(schema: string, rides: Ride[] = cleanRides): Promise<Project> {
  await warehouse.client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${schema}\`` });
  await warehouse.client.command({
    query: `CREATE TABLE \`${schema}\`.raw_rides (ride_id Nullable(UInt64), zone_id Int32, fare Nullable(Float64), status String, ended_at DateTime) ENGINE = MergeTree ORDER BY tuple()`,
  });
  await insertRides(schema, rides);
  return loadProject(path.join(fixtures, 'rides'), { targetSchema: schema });
}

function tempProject(files: Record<string, string>, schema: string): Project {
  const root = fs.mkdtempSync(path.join(dir, 'project-'));
  for (const [rel, text] of Object.entries({
    'dbt_project.yml': 'name: tmp\nconfig-version: 2\n',
    ...files,
  })) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return loadProject(root, { targetSchema: schema });
}

async function run(
  project: Project,
  command: Command,
  options: { select?: string[]; fullRefresh?: boolean; threads?: number } = {},
): Promise<RunOutcome & { by: (name: string) => NodeResult }> {
  const outcome = await runCommand(
    project,
    buildGraph(project),
    {
      command,
      select: options.select,
      threads: options.threads ?? 4,
      fullRefresh: options.fullRefresh ?? false,
      // Fixture projects live in the source tree: their artifacts go to the temporary folder.
      targetDir: project.dir.startsWith(dir)
        ? path.join(project.dir, 'target')
        : path.join(dir, `target-${project.target.schema}`),
    },
    { warehouse },
  );
  const by = (name: string): NodeResult => {
    const found = outcome.results.find((r) => r.node.name === name);
    if (found === undefined) throw new Error(`${name} did not run`);
    return found;
  };
  return { ...outcome, by };
}

async function rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const result = await warehouse.client.query({ query: sql, format: 'JSONEachRow' });
  return result.json<T>();
}

describe('materializations', () => {
  it('builds views, tables with ClickHouse settings, ephemeral CTEs, incremental tables and seeds', async () => {
    const project = await ridesProject('mat');
    const outcome = await run(project, 'build');
    expect(outcome.results.filter((r) => r.status !== 'success' && r.status !== 'pass')).toEqual([]);
    expect(outcome.success).toBe(true);
    const tables = await rows<{ name: string; engine: string; sorting_key: string; partition_key: string }>(
      "SELECT name, engine, sorting_key, partition_key FROM system.tables WHERE database = 'mat' ORDER BY name",
    );
    expect(tables.map((t) => [t.name, t.engine])).toEqual([
      ['fct_rides', 'MergeTree'],
      ['raw_rides', 'MergeTree'],
      ['rides_log', 'MergeTree'],
      ['stg_rides', 'View'],
      ['zone_rides', 'MergeTree'],
      ['zones', 'MergeTree'],
    ]);
    expect(tables[0]).toMatchObject({
      sorting_key: 'zone_id, ended_at',
      partition_key: '(toYYYYMM(ended_at))',
    });
    expect(await rows('SELECT ride_id, zone_name, fare_cents FROM mat.fct_rides ORDER BY ride_id')).toEqual([
      { ride_id: 1, zone_name: 'Newark Airport', fare_cents: 1050 },
      { ride_id: 2, zone_name: 'Jamaica Bay', fare_cents: 2000 },
    ]);
    expect(outcome.by('fct_rides').compiledCode).toContain('__dbt__cte__int_completed as (');
    const zoneType = await rows<{ type: string }>(
      "SELECT type FROM system.columns WHERE database = 'mat' AND table = 'zones' AND name = 'zone_id'",
    );
    expect(zoneType).toEqual([{ type: 'Int32' }]);
    expect(outcome.by('zones').adapterResponse).toEqual({ _message: 'INSERT 3', rows_affected: 3 });
  });

  it('adds only new raw rows on an incremental run: append, and delete+insert on unique_key', async () => {
    const project = await ridesProject('incr');
    await run(project, 'build');
    await insertRides('incr', [
      [4, 1, 7, 'completed', '2024-01-03 09:00:00'],
      [5, 3, 9, 'completed', '2024-01-03 10:00:00'],
    ]);
    const again = await run(project, 'run', { select: ['rides_log', 'zone_rides'] });
    expect(again.results.map((r) => r.status)).toEqual(['success', 'success']);
    expect(again.by('rides_log').adapterResponse.rows_affected).toBe(2);
    expect(await rows('SELECT ride_id FROM incr.rides_log ORDER BY ride_id')).toEqual(
      [1, 2, 3, 4, 5].map((ride_id) => ({ ride_id })),
    );
    // Zone 1 is recounted (3 rides, replacing its row), zone 3 is new, zone 2 is left alone.
    const zones = await rows('SELECT zone_id, toInt32(rides) AS rides FROM incr.zone_rides ORDER BY zone_id');
    expect(zones).toEqual([
      { zone_id: 1, rides: 3 },
      { zone_id: 2, rides: 1 },
      { zone_id: 3, rides: 1 },
    ]);
    const refreshed = await run(project, 'run', { select: ['zone_rides'], fullRefresh: true });
    expect(refreshed.by('zone_rides').adapterResponse.rows_affected).toBe(3);
    expect(
      await rows('SELECT zone_id, toInt32(rides) AS rides FROM incr.zone_rides ORDER BY zone_id'),
    ).toEqual(zones);
  });

  it('bounds delete+insert by incremental_predicates: a key outside them is not deleted', async () => {
    await warehouse.client.command({ query: 'CREATE DATABASE IF NOT EXISTS pred' });
    await warehouse.client.command({
      query: 'CREATE TABLE pred.raw (k UInt32, day Date, v UInt32) ENGINE = MergeTree ORDER BY k',
    });
    await warehouse.client.command({
      query: "INSERT INTO pred.raw VALUES (1, '2024-01-01', 1), (2, '2024-01-02', 1)",
    });
    const model = (predicates: string) =>
      tempProject(
        {
          'models/latest.sql': `{{ config(materialized='incremental', unique_key='k', incremental_predicates=${predicates}) }}
select k, day, v from pred.raw
{% if is_incremental() %}where v > (select max(v) from {{ this }}){% endif %}`,
        },
        'pred',
      );
    const project = model(`["day >= '2024-01-02'"]`);
    await run(project, 'run');
    await warehouse.client.command({
      query: "INSERT INTO pred.raw VALUES (1, '2024-01-01', 2), (2, '2024-01-02', 2)",
    });
    const again = await run(project, 'run');
    expect(again.by('latest').adapterResponse.rows_affected).toBe(2);
    // k 2 (inside the predicate) was replaced; k 1 (outside it) kept its old row beside the new one.
    expect(await rows('SELECT k, v FROM pred.latest ORDER BY k, v')).toEqual([
      { k: 1, v: 1 },
      { k: 1, v: 2 },
      { k: 2, v: 2 },
    ]);

    const bad = await run(model('[42]'), 'run');
    expect(bad.by('latest').status).toBe('error');
    expect(bad.by('latest').message).toMatch(
      /model latest .* has incremental_predicates that are not SQL conditions/,
    );
  });

  it('swaps a rebuilt table in atomically: a concurrent reader never sees it empty or missing', async () => {
    const project = tempProject(
      {
        'models/slow.sql':
          "{{ config(materialized='table') }}\nselect number as n, sleepEachRow(0.001) as s from numbers(600) settings max_block_size = 10",
      },
      'swap',
    );
    await run(project, 'run');
    let stop = false;
    const seen: string[] = [];
    const reader = (async () => {
      while (!stop) {
        try {
          const c = await warehouse.withReader(async (reader) => {
            const r = await reader.query({
              query: 'SELECT count() AS c FROM swap.slow',
              format: 'JSONEachRow',
            });
            return (await r.json<{ c: string }>())[0]?.c;
          });
          seen.push(String(c));
        } catch (e) {
          seen.push(e instanceof Error ? e.message : String(e));
        }
      }
    })();
    for (let i = 0; i < 3; i++) expect((await run(project, 'run')).success).toBe(true);
    stop = true;
    await reader;
    expect(seen.length).toBeGreaterThan(20);
    expect(new Set(seen)).toEqual(new Set(['600']));
  });
});

describe('tests', () => {
  const badRides: Ride[] = [
    ...cleanRides,
    [2, 9, -3, 'lost', '2024-01-05 10:00:00'],
    [null, 2, null, 'completed', '2024-01-05 11:00:00'],
  ];

  it('pass on clean data', async () => {
    const project = await ridesProject('tests_ok');
    await run(project, 'seed');
    await run(project, 'run');
    const outcome = await run(project, 'test');
    expect(outcome.results.map((r) => r.status)).toEqual(outcome.results.map(() => 'pass'));
    expect(outcome.results).toHaveLength(9);
  });

  it('fail (severity error) or warn (severity warn) on bad rows, with a sample of the failing rows', async () => {
    const project = await ridesProject('tests_bad', badRides);
    await run(project, 'seed');
    await run(project, 'run');
    const outcome = await run(project, 'test');
    const status = Object.fromEntries(outcome.results.map((r) => [r.node.name, [r.status, r.failures]]));
    expect(status).toEqual({
      source_not_null_raw_raw_rides_ride_id: ['fail', 1],
      unique_stg_rides_ride_id: ['fail', 1],
      not_null_stg_rides_ride_id: ['fail', 1],
      accepted_values_stg_rides_status__completed__cancelled: ['fail', 1],
      relationships_stg_rides_zone_id__zone_id__ref_zones_: ['fail', 1],
      not_null_stg_rides_fare: ['warn', 1],
      assert_fares_not_negative: ['warn', 1],
      unique_zones_zone_id: ['pass', 0],
      not_null_zones_zone_id: ['pass', 0],
    });
    expect(outcome.success).toBe(false);
    const accepted = outcome.by('accepted_values_stg_rides_status__completed__cancelled');
    expect(accepted.message).toBe('Got 1 result, configured to fail if != 0');
    expect(accepted.sample.map((r) => [r.value_field, Number(r.n_records)])).toEqual([['lost', 1]]);
    expect(outcome.by('relationships_stg_rides_zone_id__zone_id__ref_zones_').sample).toEqual([
      { from_field: 9 },
    ]);
    const text = summary(outcome).join('\n');
    expect(text).toContain('Failure in test unique_stg_rides_ride_id (models/staging/schema.yml)');
    expect(text).toContain('Warning in test assert_fares_not_negative (tests/assert_fares_not_negative.sql)');
    expect(text).toMatch(/value_field \| n_records\n.*\n\s+lost\s+\| 1/);
    expect(text).toContain('Done. PASS=2 WARN=2 ERROR=5 SKIP=0');
  });

  it('in build, a failing test skips what is built from the tested model', async () => {
    const project = await ridesProject('build_bad', [
      ...cleanRides,
      [2, 2, 4, 'completed', '2024-01-06 10:00:00'],
    ]);
    const outcome = await run(project, 'build');
    expect(outcome.by('stg_rides').status).toBe('success');
    expect(outcome.by('fct_rides').status).toBe('skipped');
    expect(outcome.by('zone_rides').message).toMatch(/^skipped because test\.rides\./);
    expect(outcome.by('zones').status).toBe('success');
  });

  it('only warnings leave the run successful', async () => {
    const project = await ridesProject('warn_only', [
      ...cleanRides,
      [7, 2, null, 'completed', '2024-01-06 10:00:00'],
    ]);
    const outcome = await run(project, 'build');
    expect(
      outcome.results.filter((r) => r.status !== 'success' && r.status !== 'pass').map((r) => r.node.name),
    ).toEqual(['not_null_stg_rides_fare']);
    expect(outcome.by('not_null_stg_rides_fare').status).toBe('warn');
    expect(outcome.success).toBe(true);
  });
});

describe('errors and artifacts', () => {
  it('names the model, its file and ClickHouse message for a SQL error, and skips its dependents', async () => {
    const project = tempProject(
      {
        'models/ok.sql': 'select 1 as id',
        'models/broken.sql': "select no_such_column from {{ ref('ok') }}",
        'models/after.sql': "select * from {{ ref('broken') }}",
      },
      'errs',
    );
    const outcome = await run(project, 'run');
    expect(outcome.success).toBe(false);
    expect(outcome.by('ok').status).toBe('success');
    expect(outcome.by('broken').status).toBe('error');
    expect(outcome.by('after').status).toBe('skipped');
    const text = summary(outcome).join('\n');
    expect(text).toContain('Database Error in model broken (models/broken.sql)');
    expect(text).toMatch(/no_such_column/);
    expect(text).toContain('compiled code at target/compiled/tmp/models/broken.sql');
    expect(text).toContain('Done. PASS=1 WARN=0 ERROR=1 SKIP=1');
  });

  it('writes manifest.json with compiled code and run_results.json in dbt shape', async () => {
    const project = tempProject(
      {
        'models/one.sql':
          "{{ config(materialized='table', post_hook='ALTER TABLE {{ this }} ADD COLUMN hooked UInt8 DEFAULT 1') }}select 1 as id",
      },
      'arts',
    );
    const outcome = await run(project, 'run');
    const target = path.join(project.dir, 'target');
    await writeManifest(
      target,
      project,
      { invocationId: outcome.invocationId, generatedAt: new Date() },
      outcome,
    );
    await writeRunResults(target, outcome, { command: 'run', threads: 4, fullRefresh: false });
    const manifest = JSON.parse(fs.readFileSync(path.join(target, 'manifest.json'), 'utf8')) as {
      nodes: Record<string, { compiled: boolean; compiled_code: string; config: Record<string, unknown> }>;
    };
    expect(manifest.nodes['model.tmp.one']).toMatchObject({
      compiled: true,
      compiled_code: 'select 1 as id',
    });
    expect(outcome.results[0]?.status).toBe('success');
    expect(await rows('SELECT id, hooked FROM arts.one')).toEqual([{ id: 1, hooked: 1 }]);
    expect(manifest.nodes['model.tmp.one']?.config['post-hook']).toEqual([
      { sql: 'ALTER TABLE {{ this }} ADD COLUMN hooked UInt8 DEFAULT 1', transaction: true, index: null },
    ]);
    const results = JSON.parse(fs.readFileSync(path.join(target, 'run_results.json'), 'utf8')) as {
      metadata: { dbt_schema_version: string };
      results: Record<string, unknown>[];
      elapsed_time: number;
    };
    expect(results.metadata.dbt_schema_version).toBe('https://schemas.getdbt.com/dbt/run-results/v6.json');
    expect(results.results[0]).toMatchObject({
      unique_id: 'model.tmp.one',
      status: 'success',
      message: 'OK',
      failures: null,
      adapter_response: { _message: 'OK', rows_affected: 1 },
      relation_name: '`arts`.`one`',
    });
    expect(results.results[0]?.timing).toHaveLength(2);
    expect(fs.readFileSync(path.join(target, 'compiled/tmp/models/one.sql'), 'utf8')).toBe(
      'select 1 as id\n',
    );
  });
});
