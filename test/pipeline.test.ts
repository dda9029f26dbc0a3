/**
 * End to end on embedded engines: the real TLC files and 100,000 simulated events (1% bad) go through
 * serializer → log → pre-load → sink; afterwards loaded + dead-lettered = produced for every event type,
 * and what readers see has exactly one row per distinct event id.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCommand } from '../src/cli/import.ts';
import { openEngines, type Engines } from '../src/cli/engines.ts';
import { eventTypes } from '../src/contracts/index.ts';
import { createProducer } from '../src/ingest/index.ts';
import { createPreload } from '../src/preload/index.ts';
import { createSimulator, loadZones } from '../src/simulate/index.ts';
import { buildGraph, loadProject, runCommand } from '../src/transform/index.ts';
import { collectStatus, createSink, type PipelineStatus, type Warehouse } from '../src/warehouse/index.ts';
import { realFiles, repo, rows, scalar, tempHome, testConfig } from './helpers.ts';

const home = await tempHome('e2e');
const config = testConfig(home, { FAREBOX_FSYNC: 'interval:100' });
let engines: Engines;
let warehouse: Warehouse;
let status: PipelineStatus;
let simulatedBad = 0;
let simulated = 0;

/** Rows of a TLC CSV (naive local times compare as text) matching a test, counted straight from the file. */
function countRows(file: string, test: (row: Record<string, string>) => boolean): number {
  const [header = '', ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = header.split(',').map((c) => c.toLowerCase().replace(/^[tl]pep_/, ''));
  return lines.filter((l) => {
    const f = l.split(',');
    return test(Object.fromEntries(cols.map((c, i) => [c, f[i] ?? ''])));
  }).length;
}
const dropoffFirst = (r: Record<string, string>): boolean =>
  (r.dropoff_datetime ?? '') < (r.pickup_datetime ?? '');
const dropoffBeforePickup = (file: string): number => countRows(file, dropoffFirst);

/** Simulated events (1% bad) through the producer SDK, then the sink until the lag is gone. */
async function loadSimulated(count: number, seed: number): Promise<void> {
  const producer = createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
  const sim = createSimulator(
    { ...config.simulator, badShare: 0.01, seed },
    { zones: await loadZones(config.zonesFile) },
  );
  let batch: Promise<unknown>[] = [];
  for (const e of sim.events(count)) {
    simulated++;
    if (e.bad) simulatedBad++;
    batch.push(producer.sendUntyped(e.type, e.payload));
    if (batch.length >= 5000) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  await producer.flush();
  const preload = createPreload(config.preload, { registry: engines.registry, objects: engines.objects });
  const sink = await createSink(config.sink, { log: engines.log, warehouse, preload });
  const stop = new AbortController();
  const done = sink.run(stop.signal);
  while ((await collectStatus(engines.log, warehouse, config.sink.group)).totals.lag > 0)
    await new Promise((r) => setTimeout(r, 200));
  stop.abort();
  await done;
  await preload.close();
}

beforeAll(async () => {
  // 1. The real files, through the import command (CSV → events → log → warehouse).
  await importCommand(config, realFiles, { load: true });

  // 2. 100,000 simulated events with 1% bad ones, through the producer SDK, then the sink.
  engines = await openEngines(config, { warehouse: true });
  warehouse = engines.warehouse as Warehouse;
  await loadSimulated(100_000, 7);
  status = await collectStatus(engines.log, warehouse, config.sink.group);
});

afterAll(async () => {
  await engines.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the embedded pipeline, end to end', () => {
  it('accounts for every record: loaded + dead-lettered = produced, per event type', () => {
    for (const t of status.types) {
      expect(t.lag, t.type).toBe(0);
      expect(t.loaded + t.deadLettered, t.type).toBe(t.produced);
    }
    expect(status.totals.produced).toBe(20_000 + 6_000 + 9_764 + simulated);
  });

  it('shows readers one row per distinct event id', async () => {
    const views = {
      trip_completed: ['trips', 'raw_trips'],
      vehicle_location: ['vehicle_locations', 'raw_vehicle_locations'],
      driver_document: ['driver_documents', 'raw_driver_documents'],
    } as const;
    for (const type of eventTypes) {
      const [view, raw] = views[type];
      const visible = await scalar(warehouse, `SELECT count() FROM ${view}`);
      const distinct = await scalar(warehouse, `SELECT uniqExact(event_id) FROM ${raw}`);
      expect(visible, type).toBe(distinct);
      expect(visible, type).toBeGreaterThan(0);
    }
  });

  it('dead-letters exactly the simulated bad events and the real trips with drop-off before pick-up', async () => {
    const realBad = realFiles.map(dropoffBeforePickup).reduce((a, b) => a + b, 0);
    expect(realBad).toBeGreaterThan(0);
    expect(status.totals.deadLettered).toBe(simulatedBad + realBad);
    const stages = await rows<{ stage: string; c: string }>(
      warehouse,
      'SELECT stage, count() AS c FROM dead_letters FINAL GROUP BY stage ORDER BY stage',
    );
    expect(stages.map((s) => s.stage)).toEqual(expect.arrayContaining(['clean', 'validate']));
    const sample = await rows<{ raw: string; reason: string }>(
      warehouse,
      "SELECT base64Decode(raw_base64) AS raw, reason FROM dead_letters FINAL WHERE stage = 'clean' LIMIT 1",
    );
    expect(sample[0]?.reason).toMatch(/is before pickup_datetime/);
    expect(sample[0]?.raw).toContain('"dropoff_datetime"');
  });

  it('keeps the real money to the cent: loaded plus dead-lettered totals equal the files', async () => {
    const loaded = await rows<{ kind: string; v: string; total: string }>(
      warehouse,
      `
      SELECT taxi_kind AS kind, schema_version AS v, sum(total_amount) AS total FROM trips
      WHERE trip_id LIKE 'tlc-%' GROUP BY kind, v ORDER BY kind, v`,
    );
    const dead = await scalar(
      warehouse,
      `
      SELECT sum(toDecimal64(JSONExtractFloat(substring(base64Decode(raw_base64), 6), 'total_amount'), 2))
      FROM dead_letters FINAL WHERE stage = 'clean' AND JSONExtractString(substring(base64Decode(raw_base64), 6), 'trip_id') LIKE 'tlc-%'`,
    );
    const sum = loaded.reduce((a, r) => a + Number(r.total), 0) + dead;
    expect(sum).toBeCloseTo(342_054.06 + 150_456.84 + 226_074.37, 2);
    expect(loaded.map((r) => `${r.kind} v${r.v}`)).toEqual(['green v2', 'yellow v1', 'yellow v2']);
  });

  it('flags the messy real values instead of dropping them', async () => {
    const flags = await rows<{ flag: string; c: string }>(
      warehouse,
      `
      SELECT arrayJoin(flags) AS flag, count() AS c FROM trips WHERE trip_id LIKE 'tlc-%' GROUP BY flag`,
    );
    const byFlag = Object.fromEntries(flags.map((f) => [f.flag, Number(f.c)]));
    // Counted straight from the files, leaving out the rows dead-lettered for drop-off before pick-up.
    const loadedWhere = (test: (r: Record<string, string>) => boolean): number =>
      realFiles.map((f) => countRows(f, (r) => test(r) && !dropoffFirst(r))).reduce((a, b) => a + b);
    const zeroDistance = loadedWhere((r) => Number(r.trip_distance) <= 0);
    const noPassengers = loadedWhere((r) => (r.passenger_count ?? '').trim() === '');
    // SOURCES.md: 168 + 144 + 508 zero-distance and 95 + 1125 + 526 empty passenger counts in all rows.
    expect(zeroDistance).toBeGreaterThan(168 + 144 + 508 - 40);
    expect(noPassengers).toBeGreaterThan(95 + 1125 + 526 - 40);
    expect(byFlag.zero_distance).toBe(zeroDistance);
    expect(byFlag.missing_passenger_count).toBe(noPassengers);
    expect(byFlag.negative_amount).toBeGreaterThan(0);
    expect(byFlag.unknown_zone).toBeGreaterThan(0);
    expect(byFlag.unknown_ratecode).toBeGreaterThan(0);
  });

  it('keeps driver documents out of the log and verifiable in the object store', async () => {
    const docs = await rows<{ url: string; sha: string; size: string }>(
      warehouse,
      'SELECT document_url AS url, document_sha256 AS sha, document_size AS size FROM driver_documents LIMIT 3',
    );
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      const bytes = await engines.objects.get({
        url: d.url,
        sha256: d.sha,
        size: Number(d.size),
        contentType: 'image/png',
      });
      expect(bytes.length).toBeGreaterThanOrEqual(100_000);
    }
  });

  it('builds the taxi project on it, with every test passing (warnings allowed)', async () => {
    const project = loadProject(path.join(repo, 'transform'), { targetSchema: config.warehouse.database });
    const outcome = await runCommand(
      project,
      buildGraph(project),
      { command: 'build', threads: 4, fullRefresh: true },
      { warehouse },
    );
    const bad = outcome.results.filter(
      (r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped',
    );
    expect(bad.map((r) => `${r.node.uniqueId}: ${r.message ?? ''}`)).toEqual([]);
    const tests = outcome.results.filter((r) => r.node.resourceType === 'test');
    expect(tests.length).toBeGreaterThan(50);
    // Every trip readers see is in fct_trips, and agg_zone_hourly's revenue adds up to it.
    expect(await scalar(warehouse, 'SELECT count() FROM fct_trips')).toBe(
      await scalar(warehouse, 'SELECT count() FROM trips'),
    );
    const drivers = await scalar(warehouse, 'SELECT count() FROM driver_scores');
    expect(drivers).toBeGreaterThan(0);
  });

  it('absorbs a second import of the same file: new log records, no new rows for readers', async () => {
    const before = await scalar(warehouse, 'SELECT count() FROM trips');
    await engines.close();
    await importCommand(config, [realFiles[2] as string], { load: true });
    engines = await openEngines(config, { warehouse: true });
    warehouse = engines.warehouse as Warehouse;
    const after = await collectStatus(engines.log, warehouse, config.sink.group);
    expect(after.totals.produced).toBe(status.totals.produced + 9_764);
    expect(after.totals.loaded + after.totals.deadLettered).toBe(after.totals.produced);
    expect(await scalar(warehouse, 'SELECT count() FROM trips')).toBe(before);
  });

  it('runs the taxi project incrementally on new and re-sent events, to the rows a rebuild makes', async () => {
    await loadSimulated(5_000, 8);
    const project = loadProject(path.join(repo, 'transform'), { targetSchema: config.warehouse.database });
    const graph = buildGraph(project);
    const fingerprints = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = {};
      for (const t of ['fct_trips', 'agg_zone_hourly', 'driver_daily', 'dq_daily', 'driver_scores']) {
        const [row] = await rows<{ c: string; h: string }>(
          warehouse,
          `SELECT count() AS c, toString(groupBitXor(cityHash64(*))) AS h FROM ${t}`,
        );
        out[t] = `${row?.c}/${row?.h}`;
      }
      return out;
    };
    const resent = await scalar(
      warehouse,
      'SELECT count() FROM raw_trips WHERE ingested_at > (SELECT max(ingested_at) FROM fct_trips)',
    );
    expect(resent).toBeGreaterThan(9_000);
    const incremental = await runCommand(
      project,
      graph,
      { command: 'run', threads: 4, fullRefresh: false },
      { warehouse },
    );
    expect(incremental.results.filter((r) => r.status !== 'success').map((r) => r.node.name)).toEqual([]);
    const fct = incremental.results.find((r) => r.node.name === 'fct_trips');
    expect(fct?.adapterResponse.rows_affected).toBe(resent);
    expect(await scalar(warehouse, 'SELECT count() FROM fct_trips')).toBe(
      await scalar(warehouse, 'SELECT count() FROM trips'),
    );
    const afterIncremental = await fingerprints();
    await runCommand(project, graph, { command: 'run', threads: 4, fullRefresh: true }, { warehouse });
    expect(await fingerprints()).toEqual(afterIncremental);
  });
});
