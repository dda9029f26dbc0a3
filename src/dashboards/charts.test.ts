/**
 * The dashboards API beyond plain SQL charts: built-in sources (lineage, consumer lag, job runs), charts
 * saved from SQL lab into the dashboard files, Cancel, the filter values, and the web app's files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../config/index.ts';
import { contracts } from '../contracts/index.ts';
import { tempLog } from '../log/testing.ts';
import { openFixture, type Fixture } from './testing.ts';

let f: Fixture;
let ada: string;
let eve: string;
let vic: string;
let dashboardsDir: string;

beforeAll(async () => {
  f = await openFixture();
  ada = (await f.signIn('ada')).token;
  vic = (await f.signIn('vic')).token;
  await f.call('/api/users', { token: ada, body: { name: 'eve', password: 'editor pass', role: 'editor' } });
  eve = (await f.signIn('eve')).token;
  dashboardsDir = path.join(f.dir, 'dashboards');
  fs.cpSync(path.join(repoRoot, 'dashboards'), dashboardsDir, { recursive: true });
});
afterAll(() => f.close());

describe('built-in sources', () => {
  it('draws the lineage of the transform project as nodes and edges', async () => {
    const body = await f.json(await f.call('/api/dashboards/lineage/charts/graph', { token: vic }));
    const ids = body.rows.map((r) => String(r.id));
    expect(ids).toContain('model.farebox.fct_trips');
    const edges = body.edges as { from: string; to: string }[];
    expect(edges).toContainEqual({
      from: 'model.farebox.fct_trips',
      to: 'model.farebox.agg_zone_hourly',
    });
    for (const e of edges) expect(ids).toEqual(expect.arrayContaining([e.from, e.to]));
  });

  it('reads the consumer lag from the event log, and says so when there is none', async () => {
    const none = await f.json(await f.call('/api/dashboards/pipeline/charts/consumer_lag', { token: vic }));
    expect(none.rows).toEqual([]);
    expect(none.note).toContain('no event log');
    const { log, cleanup } = await tempLog();
    try {
      const topic = contracts.trip_completed.topic;
      for (const c of Object.values(contracts)) await log.ensureTopic({ name: c.topic, partitions: 1 });
      await log.produce(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(`{"n":${i}}`) })),
      );
      await log.commitOffsets(f.config.group, [{ topic, partition: 0, offset: 2 }]);
      const app = await f.variant({}, log);
      const res = await app.request('/api/dashboards/pipeline/charts/consumer_lag', {
        headers: { authorization: `Bearer ${vic}` },
      });
      const body = await f.json(res);
      expect(body.rows.find((r) => r.topic === topic)).toMatchObject({ produced: 5, lag: 3 });
    } finally {
      await cleanup();
    }
  });

  it("lists the scheduler's newest job runs, and says when it has not run", async () => {
    const before = await f.json(await f.call('/api/dashboards/pipeline/charts/job_runs', { token: vic }));
    expect(before.note).toContain('has not run yet');
    await f.db.exec(`CREATE TABLE farebox_job_runs (pipeline text, scheduled_for timestamptz, job text,
      attempt integer, state text, started_at timestamptz, ended_at timestamptz, error text, log text)`);
    await f.db.query(
      `INSERT INTO farebox_job_runs VALUES
        ('taxi', now(), 'build_models', 1, 'succeeded', now() - interval '90 seconds', now() - interval '60 seconds', NULL, ''),
        ('taxi', now(), 'test_models', 1, 'failed', now() - interval '50 seconds', now() - interval '45 seconds', 'unique_trip_id failed', '')`,
    );
    const after = await f.json(await f.call('/api/dashboards/pipeline/charts/job_runs', { token: vic }));
    expect(after.rows.map((r) => [r.job, r.state, r.seconds, r.error])).toEqual([
      ['test_models', 'failed', 5, 'unique_trip_id failed'],
      ['build_models', 'succeeded', 30, ''],
    ]);
  });

  it('describes where a source chart reads from, in place of its SQL', async () => {
    const d = await f.json(await f.call('/api/dashboards/pipeline', { token: vic }));
    const lag = d.charts.find((c) => c.name === 'consumer_lag');
    expect(lag?.description).toContain('committed offset');
  });
});

describe('chart columns of bytes', () => {
  it("shows a dead letter's raw bytes as text, cut at 200 characters", async () => {
    const long = `{"trip_id": "t-1", "note": "${'x'.repeat(300)}"}`;
    await f.warehouse.client.insert({
      table: 'dead_letters',
      format: 'JSONEachRow',
      values: [
        {
          topic: 'trip_completed',
          partition: 0,
          offset: 7,
          event_type: 'trip_completed',
          stage: 'decode',
          reason: 'not JSON',
          raw_base64: Buffer.from(long).toString('base64'),
          headers: {},
          received_at: '2025-02-01 08:00:00.000',
        },
      ],
    });
    const body = await f.json(
      await f.call('/api/dashboards/pipeline/charts/dead_letters_by_stage_reason', { token: vic }),
    );
    expect(body.rows[0]?.sample).toBe(`${long.slice(0, 200)}…`);
  });
});

describe('charts saved from SQL lab', () => {
  const chart = {
    name: 'fares_by_borough',
    title: 'Fares by borough',
    type: 'bar',
    x: 'borough',
    y: 'fares',
    sql: "SELECT pu_borough AS borough, sum(fare_amount) AS fares FROM fct_trips WHERE {borough} = '' OR pu_borough = {borough} GROUP BY borough",
  };
  const save = async (token: string, dashboard: string, body: unknown) => {
    const app = await f.variant({ dir: dashboardsDir });
    return app.request(`/api/dashboards/${dashboard}/charts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  };

  it("lets an editor add a chart to a dashboard's file, which keeps its comments", async () => {
    const res = await save(eve, 'fleet', { chart });
    expect(res.status, await res.clone().text()).toBe(201);
    const text = fs.readFileSync(path.join(dashboardsDir, 'fleet.yaml'), 'utf8');
    expect(text).toMatch(/^# The fleet at a glance/);
    expect(text).toContain('name: fares_by_borough');
    const app = await f.variant({ dir: dashboardsDir });
    const data = await f.json(
      await app.request('/api/dashboards/fleet/charts/fares_by_borough?borough=Manhattan', {
        headers: { authorization: `Bearer ${vic}` },
      }),
    );
    expect(data.rows.map((r) => [r.borough, Number(r.fares)])).toEqual([['Manhattan', 20.5]]);
  });

  it('makes a new dashboard with its title', async () => {
    const res = await save(eve, 'ops_notes', { chart: { ...chart, name: 'one' }, title: 'Ops notes' });
    expect(res.status).toBe(201);
    const body = await f.json(res);
    expect(body.dashboard).toMatchObject({ dashboard: 'ops_notes', title: 'Ops notes' });
    expect(fs.existsSync(path.join(dashboardsDir, 'ops_notes.yaml'))).toBe(true);
  });

  it('says so when the dashboards folder cannot be written, as in a read-only container', async () => {
    // Root may write anywhere: a folder under a plain file cannot be made, whoever asks.
    const blocked = path.join(f.dir, 'plain-file');
    fs.writeFileSync(blocked, '');
    const app = await f.variant({ dir: path.join(blocked, 'dashboards') });
    const res = await app.request('/api/dashboards/ops/charts', {
      method: 'POST',
      headers: { authorization: `Bearer ${eve}`, 'content-type': 'application/json' },
      body: JSON.stringify({ chart }),
    });
    expect(res.status, await res.clone().text()).toBe(403);
    const error = (await f.json(res)).error;
    expect(error.message).toContain('cannot write');
    expect(error.hint).toContain('FAREBOX_DASHBOARDS');
  });

  it('refuses a viewer, a bad field, SQL that fails and a name taken, leaving the file as it was', async () => {
    const file = path.join(dashboardsDir, 'fleet.yaml');
    const before = fs.readFileSync(file, 'utf8');
    expect((await save(vic, 'fleet', { chart: { ...chart, name: 'x1' } })).status).toBe(403);
    const badType = await save(eve, 'fleet', { chart: { ...chart, name: 'x2', type: 'pie' } });
    expect(badType.status).toBe(400);
    expect((await f.json(badType)).error.message).toMatch(/field 'charts\.\d+\.type'/);
    const badSql = await save(eve, 'fleet', {
      chart: { ...chart, name: 'x3', sql: 'SELECT nope FROM fct_trips' },
    });
    expect(badSql.status).toBe(400);
    expect((await f.json(badSql)).error.message).toContain('nope');
    const taken = await save(eve, 'fleet', { chart });
    expect((await f.json(taken)).error.message).toContain("already has a chart 'fares_by_borough'");
    const badName = await save(eve, 'Bad Name!', { chart: { ...chart, name: 'x4' } });
    expect(badName.status).toBe(400);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('SQL lab', () => {
  it("cancels a running query by its id; another user's cancel finds nothing", async () => {
    const id = '3f2a6c1e-0000-4000-8000-000000000001';
    const running = f.call('/api/query', {
      token: ada,
      body: { sql: 'SELECT count() FROM numbers(1e12) WHERE sipHash64(number) % 7 = 3', queryId: id },
    });
    await new Promise((r) => setTimeout(r, 700));
    expect(await f.json(await f.call(`/api/query/${id}`, { method: 'DELETE', token: vic }))).toEqual({
      cancelled: false,
    });
    const started = Date.now();
    expect(await f.json(await f.call(`/api/query/${id}`, { method: 'DELETE', token: ada }))).toEqual({
      cancelled: true,
    });
    const res = await running;
    expect(res.status).toBe(409);
    expect((await f.json(res)).error.code).toBe('query_cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
    const bad = await f.call('/api/query', { token: ada, body: { sql: 'SELECT 1', queryId: "x'; --" } });
    expect(bad.status).toBe(400);
    expect((await f.json(bad)).error.message).toContain('queryId');
  });

  it("offers the zone table's boroughs for the filter", async () => {
    const body = await f.json(await f.call('/api/filters', { token: vic }));
    expect(body.boroughs).toEqual(
      expect.arrayContaining(['Bronx', 'Brooklyn', 'EWR', 'Manhattan', 'Queens']),
    );
  });
});

describe('the web app', () => {
  it('serves index.html uncached and hashed assets for a year', async () => {
    const web = path.join(f.dir, 'web');
    fs.mkdirSync(path.join(web, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><div id="app"></div>');
    fs.writeFileSync(path.join(web, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = await f.variant({ webDir: web });
    const index = await app.request('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('id="app"');
    const asset = await app.request('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await app.request('/assets/nope.js')).status).toBe(404);
  });

  it('says how to build it when it is not built', async () => {
    const app = await f.variant({ webDir: path.join(f.dir, 'no-such-dir') });
    const res = await app.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:web');
  });
});
