/**
 * farebox on Kafka, MinIO and a ClickHouse server, each role a process of its own: a registry, a gateway
 * and two sinks in one group. Simulated events go in over HTTP, the real TLC sample through
 * `farebox import`; then every record is accounted for, the documents are checked in S3, and kcat (not
 * farebox code) reads farebox's topic.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngines, type Engines } from '../../src/cli/engines.ts';
import { eventTypes } from '../../src/contracts/index.ts';
import { createSimulator, loadZones } from '../../src/simulate/index.ts';
import { collectStatus, type PipelineStatus, type Warehouse } from '../../src/warehouse/index.ts';
import { realFiles, rows, scalar } from '../helpers.ts';
import { endpoints } from '../services.ts';
import { buildWebApp } from '../browser.ts';
import { createStack, farebox, freePort, node, type Role, type Stack } from './stack.ts';

let stack: Stack;
let engines: Engines;
let warehouse: Warehouse;
let status: PipelineStatus;
let sinks: Role[] = [];
let simulated = 0;
let simulatedBad = 0;

/** Sends events to the gateway as NDJSON; binary fields go as base64, as any HTTP producer would. */
async function post(type: string, events: Record<string, unknown>[]): Promise<void> {
  const body = events
    .map((e) => {
      const doc = e.document as { bytes?: Uint8Array; contentType?: string } | undefined;
      const payload =
        doc?.bytes instanceof Uint8Array
          ? {
              ...e,
              document: { base64: Buffer.from(doc.bytes).toString('base64'), contentType: doc.contentType },
            }
          : e;
      return JSON.stringify(payload);
    })
    .join('\n');
  const res = await fetch(`${stack.gatewayUrl}/v1/events/${type}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(202);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(events.length);
}

async function waitForLag0(): Promise<PipelineStatus> {
  for (let i = 0; i < 600; i++) {
    const s = await collectStatus(engines.log, warehouse, stack.config.sink.group);
    if (s.totals.lag === 0 && s.totals.produced > 0) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`lag did not drain:\n${sinks.map((s) => s.output()).join('\n')}`);
}

beforeAll(async () => {
  stack = await createStack('e2e');
  await stack.start('registry');
  await stack.start('gateway');
  sinks = [await stack.start('sink'), await stack.start('sink')];

  // Simulated events (1% deliberately bad) over HTTP, per type in batches.
  const sim = createSimulator(
    { ...stack.config.simulator, badShare: 0.01, seed: 11 },
    { zones: await loadZones(stack.config.zonesFile) },
  );
  const byType = new Map<string, Record<string, unknown>[]>();
  const flush = async (type: string) => {
    const list = byType.get(type) ?? [];
    if (list.length > 0) await post(type, list);
    byType.set(type, []);
  };
  for (const e of sim.events(20_000)) {
    simulated++;
    if (e.bad) simulatedBad++;
    const list = byType.get(e.type) ?? [];
    list.push(e.payload);
    byType.set(e.type, list);
    if (list.length >= (e.type === 'driver_document' ? 5 : 1000)) await flush(e.type);
  }
  for (const type of byType.keys()) await flush(type);

  // The real TLC sample through the import command, appended to Kafka.
  execFileSync(node, [farebox, 'import', '--no-load', ...realFiles], {
    env: { ...process.env, ...stack.env },
    stdio: 'pipe',
  });

  engines = await openEngines(stack.config, { warehouse: true });
  warehouse = engines.warehouse as Warehouse;
  status = await waitForLag0();
}, 600_000);

afterAll(async () => {
  await engines?.close();
  await stack?.destroy();
});

describe('farebox on Kafka, S3 and a ClickHouse server, one process per role', () => {
  it('accounts for every record: loaded + dead-lettered = produced, per event type', () => {
    for (const t of status.types) {
      expect(t.lag, t.type).toBe(0);
      expect(
        t.loaded + t.deadLettered,
        `${t.type}; sinks said:\n${sinks.map((s) => s.output()).join('\n')}`,
      ).toBe(t.produced);
    }
    expect(status.totals.produced).toBe(simulated + 20_000 + 6_000 + 9_764);
    expect(status.totals.deadLettered).toBeGreaterThanOrEqual(simulatedBad);
  });

  it('shows readers one row per distinct event id, in a ClickHouse server', async () => {
    expect(warehouse.kind).toBe('http');
    const views = {
      trip_completed: 'trips',
      vehicle_location: 'vehicle_locations',
      driver_document: 'driver_documents',
    };
    for (const type of eventTypes) {
      const view = views[type];
      const visible = await scalar(warehouse, `SELECT count() FROM ${view}`);
      const distinct = await scalar(warehouse, `SELECT uniqExact(event_id) FROM raw_${view}`);
      expect(visible, type).toBe(distinct);
      expect(visible, type).toBeGreaterThan(0);
    }
  });

  it('serves the dashboards as a role of its own: the web app, sign-in, the charts on Kafka and the server', async () => {
    await buildWebApp();
    const port = await freePort();
    const extra = { FAREBOX_DASHBOARDS_PORT: String(port), FAREBOX_OPS_DB: endpoints().postgres };
    const env = { ...process.env, ...stack.env, ...extra };
    const name = `ana_${randomUUID().slice(0, 8)}`;
    execFileSync(node, [farebox, 'dashboards', 'add-user', name, '--role', 'viewer', '--password-stdin'], {
      env,
      input: 'a long password',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await stack.start('dashboards', extra);
    const url = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${url}/`)).text()).toContain('<div id="app">');
    expect((await fetch(`${url}/api/me`)).status).toBe(401);
    const session = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password: 'a long password' }),
    });
    const { token } = (await session.json()) as { token: string };
    const get = async (route: string) => {
      const res = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { rows: Record<string, unknown>[] };
      expect(res.status, `${route}: ${JSON.stringify(body)}`).toBe(200);
      return body.rows;
    };
    // The consumer lag from Kafka, matching the status the pipeline reports.
    const lag = await get('/api/dashboards/pipeline/charts/consumer_lag');
    expect(lag.map((r) => [r.type, r.produced, r.lag])).toEqual(
      status.types.map((t) => [t.type, t.produced, 0]),
    );
    // Charts over the raw tables, in the server's dialect.
    const fresh = await get('/api/dashboards/pipeline/charts/table_freshness');
    expect(Number(fresh.find((r) => r.table === 'trips')?.rows)).toBe(
      await scalar(warehouse, 'SELECT count() FROM trips'),
    );
    const perSecond = await get('/api/dashboards/pipeline/charts/events_per_second');
    expect(perSecond.length).toBeGreaterThan(0);
    const dead = await get('/api/dashboards/pipeline/charts/dead_letters_by_stage_reason');
    expect(dead.reduce((n, r) => n + Number(r.events), 0)).toBe(status.totals.deadLettered);
    expect((await get('/api/dashboards/fleet/charts/vehicle_positions')).length).toBeGreaterThan(0);
    // The server refuses writes for the read-only user, and the role refuses what a viewer may not do.
    const drop = await fetch(`${url}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'DROP TABLE raw_trips' }),
    });
    expect(drop.status).toBe(403);
    expect((await fetch(`${url}/api/users`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      403,
    );
  });

  it('shared the partitions between the two sinks, which loaded every event once between them', async () => {
    await stack.stopAll();
    const consumed = sinks.map((s) => Number(/sink stopped: (\d+) consumed/.exec(s.output())?.[1] ?? -1));
    expect(
      consumed.every((c) => c > 0),
      consumed.join(', '),
    ).toBe(true);
    expect(consumed.reduce((a, b) => a + b, 0)).toBe(status.totals.produced);
  });

  it('keeps document bytes in S3, where their sha256 matches', async () => {
    const docs = await rows<{ url: string; sha: string; size: string; type: string }>(
      warehouse,
      'SELECT document_url AS url, document_sha256 AS sha, document_size AS size, document_content_type AS type FROM driver_documents',
    );
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(d.url).toMatch(new RegExp(`^s3://${stack.bucket}/sha256/`));
      const bytes = await engines.objects.get({
        url: d.url,
        sha256: d.sha,
        size: Number(d.size),
        contentType: d.type,
      });
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(d.sha);
    }
  });

  it('writes the Confluent wire format, as kcat (not farebox code) sees it', () => {
    const out = spawnSync(
      'kcat',
      [
        '-b',
        endpoints().kafka,
        '-C',
        '-t',
        'trip_completed',
        '-o',
        'beginning',
        '-c',
        '1',
        '-e',
        '-q',
        '-f',
        '%S %k\\n%s',
      ],
      { encoding: 'buffer' },
    );
    expect(out.status, out.stderr.toString()).toBe(0);
    const text = out.stdout;
    const newline = text.indexOf(10);
    const [size] = text.subarray(0, newline).toString().split(' ');
    const value = text.subarray(newline + 1, newline + 1 + Number(size));
    expect(value[0]).toBe(0);
    const schemaId = value.readUInt32BE(1);
    expect(schemaId).toBeGreaterThan(0);
    expect(JSON.parse(value.subarray(5).toString()) as object).toHaveProperty('event_id');
  });
});
