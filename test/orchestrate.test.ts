/**
 * The scheduler inside `farebox up`: trips sent to the gateway show up in fct_trips and agg_zone_hourly
 * within one schedule interval, with no command run by hand, and a sync job after the build mirrors them
 * into the operational database (PGlite, held by the scheduler); the run history and a manual trigger
 * work through the HTTP API and the CLI.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunInfo } from '../src/cli/run-file.ts';
import { createSimulator, loadZones } from '../src/simulate/index.ts';
import { controlApi, repo, tempHome, testConfig } from './helpers.ts';

const intervalSeconds = 15;
const home = await tempHome('orchestrate');
const pipelines = path.join(home, 'pipelines');
fs.mkdirSync(pipelines);
fs.writeFileSync(
  path.join(pipelines, 'marts.yaml'),
  `pipeline: marts
schedule: { every: ${intervalSeconds}s }
jobs:
  - name: build
    transform: { command: build, select: ['+fct_trips+'] }
    timeout: 5m
  - name: push
    sync: zone_trips
    upstream: [build]
`,
);
const syncs = path.join(home, 'syncs');
fs.mkdirSync(syncs);
fs.writeFileSync(
  path.join(syncs, 'zone_trips.yaml'),
  `sync: zone_trips
source:
  sql: select pu_location_id as zone_id, count() as trips from fct_trips group by zone_id
  primary_key: [zone_id]
mode: mirror
destination:
  postgres: { table: zone_trips, create_table: true }
`,
);
fs.writeFileSync(
  path.join(pipelines, 'watch.yaml'),
  `pipeline: watch
schedule: { every: 10s }
jobs:
  - name: docs_fresh
    freshness: { table: driver_documents, column: event_time, max_age: 1m }
`,
);
/** Alerts POSTed to FAREBOX_ALERT_WEBHOOK. */
const alerts: Record<string, unknown>[] = [];
const hook = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    alerts.push(JSON.parse(body) as Record<string, unknown>);
    res.end('ok');
  });
});
await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
const env = {
  ...process.env,
  FAREBOX_HOME: home,
  FAREBOX_PORT: '0',
  FAREBOX_PIPELINES: pipelines,
  FAREBOX_SYNCS: syncs,
  FAREBOX_SCHEDULER_TICK_SECONDS: '1',
  FAREBOX_SINK_BATCH_MS: '100',
  FAREBOX_ALERT_WEBHOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
};
let up: ChildProcess;
let output = '';
let info: RunInfo;

const { call, count } = controlApi(() => info);

beforeAll(async () => {
  up = spawn(process.execPath, [path.join(repo, 'bin/farebox.js'), 'up', '--no-simulate'], {
    cwd: home,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  up.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; i < 600 && !fs.existsSync(path.join(home, 'run.json')); i++) {
    if (up.exitCode !== null) throw new Error(`farebox up exited:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  info = JSON.parse(fs.readFileSync(path.join(home, 'run.json'), 'utf8')) as RunInfo;
}, 90_000);

afterAll(async () => {
  if (up.exitCode === null && up.signalCode === null) {
    up.kill('SIGTERM');
    await new Promise((r) => up.once('exit', r));
  }
  hook.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the scheduler in farebox up', () => {
  it('makes new trips visible in fct_trips and agg_zone_hourly within one interval, by itself', async () => {
    const config = testConfig(home);
    const sim = createSimulator(
      { ...config.simulator, badShare: 0, seed: 21 },
      { zones: await loadZones(config.zonesFile) },
    );
    const trips = [...sim.trips(200)].map((e) => e.payload);
    const ids = trips.map((t) => `'${String((t as { trip_id: string }).trip_id)}'`).join(',');
    const res = await fetch(`${info.url}/v1/events/trip_completed`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/x-ndjson' },
      body: trips.map((t) => JSON.stringify(t)).join('\n'),
    });
    expect(res.status).toBe(202);
    const sent = Date.now();
    let seen = 0;
    let aggregated = 0;
    let facts = 0;
    // Loaded by the sink, then built by the next scheduled run: within one interval plus the build itself.
    while (Date.now() - sent < (intervalSeconds + 30) * 1000) {
      seen = await count(`SELECT count() FROM fct_trips WHERE trip_id IN (${ids})`).catch(() => 0);
      aggregated = await count('SELECT sum(trips) FROM agg_zone_hourly').catch(() => 0);
      facts = await count('SELECT count() FROM fct_trips').catch(() => 0);
      if (seen === 200 && aggregated === facts) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen, output).toBe(200);
    expect(aggregated, output).toBe(facts);
    expect(Date.now() - sent).toBeLessThan((intervalSeconds + 30) * 1000);
  }, 120_000);

  it('runs the sync job after each build: the trips per zone are mirrored into the ops DB', async () => {
    const zones = await count('SELECT uniqExact(pu_location_id) FROM fct_trips');
    type SyncRun = { status: string; added: number; changed: number; deleted: number; failed: number };
    let runs: SyncRun[] = [];
    // The mirror holds a row per zone once a run after the last build succeeded.
    for (let i = 0; i < 120; i++) {
      runs = (await call<{ runs: SyncRun[] }>('/v1/syncs/zone_trips/runs')).runs;
      const done = runs.filter((r) => r.status === 'succeeded');
      if (done.reduce((n, r) => n + r.added - r.deleted, 0) === zones) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const done = runs.filter((r) => r.status === 'succeeded');
    expect(done.length, output).toBeGreaterThan(0);
    expect(done.reduce((n, r) => n + r.added - r.deleted, 0)).toBe(zones);
    expect(done.every((r) => r.failed === 0)).toBe(true);
    // By hand, through the running farebox up: nothing changed since, so nothing is sent.
    const cli = execFileSync(
      process.execPath,
      [path.join(repo, 'bin/farebox.js'), 'sync', 'run', 'zone_trips'],
      { cwd: home, env, encoding: 'utf8' },
    );
    expect(cli).toMatch(/sync zone_trips run \d+: 0 added, 0 changed, 0 deleted, 0 failed/);
  }, 120_000);

  it('records a freshness breach as an alert and POSTs it to the webhook', async () => {
    for (let i = 0; i < 120 && alerts.length === 0; i++) await new Promise((r) => setTimeout(r, 250));
    expect(alerts[0], output).toMatchObject({
      source: 'farebox',
      pipeline: 'watch',
      job: 'docs_fresh',
      kind: 'freshness',
    });
    expect(String(alerts[0]?.message)).toMatch(
      /driver_documents has no rows, so it is not fresh \(limit 60 s\)/,
    );
    const listed = execFileSync(
      process.execPath,
      [path.join(repo, 'bin/farebox.js'), 'orchestrate', 'alerts'],
      {
        cwd: home,
        env,
        encoding: 'utf8',
      },
    );
    expect(listed).toMatch(/freshness .*watch\/docs_fresh failed after 1 attempt/);
  });

  it('keeps the run history, and takes a manual trigger through the API and the CLI', async () => {
    const { runs } = await call<{
      runs: { pipeline: string; trigger: string; state: string; jobs: { state: string }[] }[];
    }>('/v1/runs?pipeline=marts');
    expect(runs.some((r) => r.trigger === 'schedule' && r.state === 'success')).toBe(true);
    const cli = execFileSync(
      process.execPath,
      [path.join(repo, 'bin/farebox.js'), 'orchestrate', 'trigger', 'marts'],
      {
        cwd: home,
        env,
        encoding: 'utf8',
      },
    );
    expect(cli).toMatch(/queued marts for .*; the scheduler takes it on its next tick/);
    let manual: { state: string } | undefined;
    for (let i = 0; i < 120 && manual?.state !== 'success'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      manual = (
        await call<{ runs: { trigger: string; state: string }[] }>('/v1/runs?pipeline=marts')
      ).runs.find((r) => r.trigger === 'manual');
    }
    expect(manual?.state, output).toBe('success');
    const listed = execFileSync(
      process.execPath,
      [path.join(repo, 'bin/farebox.js'), 'orchestrate', 'runs', '--pipeline', 'marts'],
      {
        cwd: home,
        env,
        encoding: 'utf8',
      },
    );
    expect(listed).toMatch(/marts .* manual .* success .* build#1 success/);
  }, 120_000);

  it('keeps the whole run history across a kill -9 (the ops DB, PGlite on disk, recovers)', async () => {
    type Run = { pipeline: string; scheduledFor: number; state: string };
    const key = (r: Run) => `${r.pipeline}@${r.scheduledFor}:${r.state}`;
    const before = (await call<{ runs: Run[] }>('/v1/runs?limit=1000')).runs.filter(
      (r) => r.state === 'success' || r.state === 'failed',
    );
    expect(before.length).toBeGreaterThan(2);
    up.kill('SIGKILL');
    await new Promise((r) => up.once('exit', r));
    fs.rmSync(path.join(home, 'run.json'), { force: true }); // a killed process leaves it behind
    // Straight to the ops DB now (no farebox up): every run that had finished is there, as it was.
    const after = JSON.parse(
      execFileSync(
        process.execPath,
        [path.join(repo, 'bin/farebox.js'), 'orchestrate', 'runs', '--limit', '1000', '--json'],
        { cwd: home, env, encoding: 'utf8' },
      ),
    ) as Run[];
    const kept = new Set(after.map(key));
    expect(before.map(key).filter((k) => !kept.has(k))).toEqual([]);
  }, 60_000);
});
