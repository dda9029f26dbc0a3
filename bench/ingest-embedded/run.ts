/**
 * bench/ingest-embedded: sustained end-to-end trip events per second on embedded engines
 * (serializer → local log (fsync) → pre-load (validation on) → sink → chDB), p50/p99 time from send
 * to queryable, and time per stage.
 *
 *   npm run bench:ingest -- [events=300000] [fsync=always]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/index.ts';
import { openEngines } from '../../src/cli/engines.ts';
import { createProducer } from '../../src/ingest/index.ts';
import { createPreload } from '../../src/preload/index.ts';
import { createSimulator, loadZones } from '../../src/simulate/index.ts';
import { collectStatus, createSink } from '../../src/warehouse/index.ts';

const total = Number(process.argv[2] ?? 300_000);
const fsync = process.argv[3] ?? 'always';
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-bench-'));
const config = parseConfig({
  env: {
    FAREBOX_HOME: home,
    FAREBOX_FSYNC: fsync,
    FAREBOX_SINK_BATCH_ROWS: '20000',
    FAREBOX_SINK_BATCH_MS: '250',
  },
});
const engines = await openEngines(config, { warehouse: true });
const warehouse = engines.warehouse;
if (warehouse === undefined) throw new Error('no warehouse');

// Trip events from the simulator, made before the clock starts.
const sim = createSimulator(
  { ...config.simulator, badShare: 0 },
  { zones: await loadZones(config.zonesFile) },
);
const trips: Record<string, unknown>[] = [];
for (const e of sim.trips(total)) trips.push(e.payload);
if (trips.length < total) throw new Error(`simulator made only ${trips.length} trips`);

const producer = createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
const preload = createPreload({}, { registry: engines.registry, objects: engines.objects });
const sentAt = new Map<string, number>();
const latencies: number[] = [];
let loaded = 0;
let produceMs = 0;
const sink = createSink(config.sink, {
  log: engines.log,
  warehouse,
  preload,
  onBatch: (stats, ranges) => {
    const now = performance.now();
    for (const r of ranges)
      for (let o = r.first; o <= r.last; o++) {
        const key = `${r.partition}/${o}`;
        const t = sentAt.get(key);
        if (t !== undefined) {
          latencies.push(now - t);
          sentAt.delete(key);
        }
      }
    loaded = stats.loaded.trip_completed;
  },
});
const stop = new AbortController();
const started = performance.now();
const sinkDone = sink.run(stop.signal);

const chunk = 5000;
for (let i = 0; i < total; i += chunk) {
  const t0 = performance.now();
  const acks = await Promise.all(
    trips.slice(i, i + chunk).map((t) => producer.sendUntyped('trip_completed', t)),
  );
  produceMs += performance.now() - t0;
  for (const a of acks) sentAt.set(`${a.partition}/${a.offset}`, t0);
}
const producedAt = performance.now();
while (loaded < total) await new Promise((r) => setTimeout(r, 20));
const elapsed = performance.now() - started;
stop.abort();
await sinkDone;

const status = await collectStatus(engines.log, warehouse, config.sink.group);
const count = await warehouse.client.query({
  query: 'SELECT count() AS c FROM trips',
  format: 'JSONEachRow',
});
const visible = Number((await count.json<{ c: string }>())[0]?.c);
latencies.sort((a, b) => a - b);
const pct = (p: number): number =>
  Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN);
const timings = sink.stats().timings;
const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
  node: process.version,
  command: `npm run bench:ingest -- ${total} ${fsync}`,
  events: total,
  fsync,
  eventsPerSecond: Math.round(total / (elapsed / 1000)),
  produceOnlyEventsPerSecond: Math.round(total / ((producedAt - started) / 1000)),
  latencyMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
  stageMs: {
    produce: Math.round(produceMs),
    sinkPoll: timings.poll,
    preload: timings.preload,
    insert: timings.insert,
    commit: timings.commit,
  },
  check: { loaded: status.totals.loaded, deadLettered: status.totals.deadLettered, visible },
};
await engines.close();
await fs.rm(home, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
