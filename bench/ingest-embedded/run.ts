/**
 * bench/ingest-embedded: sustained end-to-end trip events per second on embedded engines
 * (serializer → local log (fsync) → pre-load (validation on) → sink → chDB), p50/p99 time from send
 * to queryable, time per stage and CPU per thread.
 *
 *   npm run bench:ingest -- [events=300000] [fsync=always] [rate=0]
 *
 * rate 0 floods (producer and pipeline share the machine: the highest sustained throughput); a rate in
 * events/s offers that load steadily, which is what the latency goal (p99 at 50,000/s) is about.
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
const rate = Number(process.argv[4] ?? 0);
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
// A pool of simulated trips, reused with fresh ids: holding a million payloads in memory for the whole
// run would make the garbage collector (which marks everything live) the thing measured.
const templates: Record<string, unknown>[] = [];
for (const e of sim.trips(Math.min(total, 20_000))) templates.push(e.payload);
const tripAt = (i: number): Record<string, unknown> => {
  const t = templates[i % templates.length] as Record<string, unknown>;
  return {
    ...t,
    event_id: `${(t.event_id as string).slice(0, 24)}${i.toString(16).padStart(12, '0')}`,
    trip_id: `${t.trip_id as string}-${Math.floor(i / templates.length)}`,
  };
};

const producer = createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
const preload = createPreload(config.preload, { registry: engines.registry, objects: engines.objects });
// Send time per partition and offset, and latencies, in typed arrays: the bench's own bookkeeping must
// not allocate per event on the thread it measures.
const partitions = config.log.partitions;
const sentAt = Array.from({ length: partitions }, () => new Float64Array(total).fill(-1));
const latencies = new Float64Array(total);
let measured = 0;
let loaded = 0;
/** When 10% and 90% of the events were loaded: the steady state, without start-up and drain. */
let t10 = 0;
let t90 = 0;
let produceMs = 0;
const sink = await createSink(config.sink, {
  log: engines.log,
  warehouse,
  preload,
  onBatch: (stats, ranges) => {
    const now = performance.now();
    for (const r of ranges) {
      const sent = sentAt[r.partition];
      if (sent === undefined) continue;
      for (let o = r.first; o <= r.last; o++) {
        const t = sent[o] ?? -1;
        if (t >= 0) latencies[measured++] = now - t;
      }
    }
    loaded = stats.loaded.trip_completed;
    if (t10 === 0 && loaded >= total * 0.1) t10 = now;
    if (t90 === 0 && loaded >= total * 0.9) t90 = now;
  },
});
/** CPU seconds per thread name, from /proc (Linux): where the machine's two cores went. */
async function threadCpu(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const tick = 100; // USER_HZ
  for (const tid of await fs.readdir('/proc/self/task').catch(() => [])) {
    const stat = await fs.readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close).replace(/[0-9]+$/, '#');
    const fields = stat.slice(close + 2).split(' ');
    const secs = (Number(fields[11]) + Number(fields[12])) / tick;
    out[name] = Math.round(((out[name] ?? 0) + secs) * 100) / 100;
  }
  return out;
}
const cpuBefore = await threadCpu();
const stop = new AbortController();
const started = performance.now();
const sinkDone = sink.run(stop.signal);

const chunk = rate > 0 ? Math.max(1, Math.round(rate / 100)) : 5000;
for (let i = 0; i < total; i += chunk) {
  if (rate > 0) {
    const due = started + (i / rate) * 1000;
    const ahead = due - performance.now();
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
  }
  const t0 = performance.now();
  const payloads: Record<string, unknown>[] = [];
  for (let j = i; j < Math.min(total, i + chunk); j++) payloads.push(tripAt(j));
  const acks = await producer.sendMany('trip_completed', payloads);
  produceMs += performance.now() - t0;
  for (const a of acks) (sentAt[a.partition] as Float64Array)[a.offset] = t0;
}
const producedAt = performance.now();
while (loaded < total) await new Promise((r) => setTimeout(r, 20));
const elapsed = performance.now() - started;
const cpuAfter = await threadCpu();
stop.abort();
await sinkDone;
await preload.close();

const status = await collectStatus(engines.log, warehouse, config.sink.group);
const count = await warehouse.client.query({
  query: 'SELECT count() AS c FROM trips',
  format: 'JSONEachRow',
});
const visible = Number((await count.json<{ c: string }>())[0]?.c);
const sorted = latencies.subarray(0, measured).sort();
const pct = (p: number): number =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN);
const timings = sink.stats().timings;
const cpuSeconds = Object.fromEntries(
  Object.entries(cpuAfter)
    .map(([k, v]) => [k, Math.round((v - (cpuBefore[k] ?? 0)) * 100) / 100] as const)
    .filter(([, v]) => v > 0.05)
    .sort((a, b) => b[1] - a[1]),
);
const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
  node: process.version,
  command: `npm run bench:ingest -- ${total} ${fsync} ${rate}`,
  offeredRate: rate === 0 ? 'flood' : rate,
  events: total,
  fsync,
  eventsPerSecond: Math.round(total / (elapsed / 1000)),
  steadyEventsPerSecond: Math.round((0.8 * total) / ((t90 - t10) / 1000)),
  produceOnlyEventsPerSecond: Math.round(total / ((producedAt - started) / 1000)),
  latencyMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
  stageMs: {
    produce: Math.round(produceMs),
    sinkPoll: timings.poll,
    preload: timings.preload,
    insert: timings.insert,
    commit: timings.commit,
  },
  cpuSecondsByThread: cpuSeconds,
  check: { loaded: status.totals.loaded, deadLettered: status.totals.deadLettered, visible },
};
await engines.close();
await fs.rm(home, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
