/**
 * bench/ingest-kafka: trip events end to end on real engines (Kafka, the registry service, a ClickHouse
 * server), the sink as 1 and as 2 processes, against what kcat (librdkafka) does on the same broker in the
 * same run: produce and consume of as many messages of the same size. Needs `npm run services -- up`.
 *
 *   npm run bench:kafka -- [events=300000]
 *
 * Latency is from the produce call that sent an event to the moment the load ledger (which the sink writes
 * after the rows, before committing) covers its offset, polled every 100 ms.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { openEngines } from '../../src/cli/engines.ts';
import { createProducer } from '../../src/ingest/index.ts';
import { createSimulator, loadZones } from '../../src/simulate/index.ts';
import type { Warehouse } from '../../src/warehouse/index.ts';
import { createStack, resetTopics } from '../../test/integration/stack.ts';
import { endpoints } from '../../test/services.ts';

const total = Number(process.argv[2] ?? 300_000);
const broker = endpoints().kafka;

/** kcat's produce and consume rate for `count` messages of `bytes` each, on a fresh topic. */
async function kcatRates(count: number, bytes: number): Promise<{ produce: number; consume: number }> {
  const topic = `kcat-bench-${Date.now()}`;
  const file = path.join(os.tmpdir(), `${topic}.txt`);
  const line = 'x'.repeat(bytes);
  await fs.writeFile(file, `${Array.from({ length: count }, () => line).join('\n')}\n`);
  const admin = new Admin({ clientId: 'farebox-bench', bootstrapBrokers: [broker] });
  await admin.createTopics({ topics: [topic], partitions: 4, replicas: 1 });
  await admin.close();
  // The topic is usable once every partition has a leader.
  for (let i = 0; i < 100; i++) {
    const meta = spawnSync('kcat', ['-L', '-b', broker, '-t', topic], { encoding: 'utf8' }).stdout;
    if ((meta.match(/leader 1,/g) ?? []).length === 4) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const t0 = performance.now();
  execFileSync('kcat', ['-P', '-b', broker, '-t', topic, '-X', 'acks=all', '-l', file]);
  const produceS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const out = spawnSync('kcat', ['-C', '-b', broker, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '.'], {
    maxBuffer: 1 << 30,
  });
  const consumeS = (performance.now() - t1) / 1000;
  const consumed = out.stdout.length;
  await fs.rm(file, { force: true });
  const cleanup = new Admin({ clientId: 'farebox-bench', bootstrapBrokers: [broker] });
  await cleanup.deleteTopics({ topics: [topic] });
  await cleanup.close();
  if (consumed < count) throw new Error(`kcat consumed ${consumed} of ${count}`);
  return { produce: Math.round(count / produceS), consume: Math.round(count / consumeS) };
}

/** CPU seconds used so far by a process (Linux /proc; 0 if it is gone). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
const servicePid = (name: string): number | undefined => {
  try {
    return Number(
      readFileSync(path.resolve(import.meta.dirname, `../../.services/pids/${name}.pid`), 'utf8'),
    );
  } catch {
    return undefined;
  }
};

async function farebox(sinks: number, payloads: Record<string, unknown>[]) {
  const stack = await createStack(`bench${sinks}`);
  const registry = await stack.start('registry');
  const sinkRoles = [];
  for (let i = 0; i < sinks; i++) sinkRoles.push(await stack.start('sink', { FAREBOX_SINK_BATCH_MS: '250' }));
  const processes: Record<string, number | undefined> = {
    'kafka broker': servicePid('kafka'),
    'clickhouse server': servicePid('clickhouse'),
    'registry process': registry.child.pid,
    'producer (this process)': process.pid,
    ...Object.fromEntries(sinkRoles.map((r, i) => [`sink process ${i + 1}`, r.child.pid])),
  };
  const cpuBefore = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const engines = await openEngines(stack.config, { warehouse: true });
  const warehouse = engines.warehouse as Warehouse;
  const producer = createProducer({ claimCheckBytes: stack.config.ingest.claimCheckBytes }, engines);
  const partitions = stack.config.log.partitions;
  const sentAt = Array.from({ length: partitions }, () => new Float64Array(total).fill(-1));
  const latencies: number[] = [];
  const seen = new Array<number>(partitions).fill(-1);
  let loaded = 0;
  const started = performance.now();
  let producing = true;
  const sending = (async () => {
    for (let i = 0; i < total; i += 5000) {
      const t0 = performance.now();
      const acks = await producer.sendMany('trip_completed', payloads.slice(i, i + 5000));
      for (const a of acks) (sentAt[a.partition] as Float64Array)[a.offset] = t0;
    }
    producing = false;
  })();
  while (loaded < total) {
    const r = await warehouse.client.query({
      query: `SELECT partition, max(last_offset) AS last FROM load_ledger FINAL WHERE topic = 'trip_completed' GROUP BY partition`,
      format: 'JSONEachRow',
    });
    const now = performance.now();
    for (const row of await r.json<{ partition: number; last: string }>()) {
      const p = Number(row.partition);
      const last = Number(row.last);
      const sent = sentAt[p];
      for (let o = (seen[p] ?? -1) + 1; o <= last && sent !== undefined; o++) {
        const t = sent[o] ?? -1;
        if (t >= 0) latencies.push(now - t);
      }
      if (last > (seen[p] ?? -1)) {
        loaded += last - (seen[p] ?? -1);
        seen[p] = last;
      }
    }
    if (!producing && performance.now() - started > 600_000) throw new Error('the sinks did not finish');
    await new Promise((res) => setTimeout(res, 100));
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpu = Object.fromEntries(
    Object.entries(processes).map(([k, pid]) => [
      k,
      Math.round((cpuSeconds(pid) - (cpuBefore[k] ?? 0)) * 10) / 10,
    ]),
  );
  await sending;
  await producer.close();
  await engines.close();
  await stack.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN);
  return {
    sinks,
    eventsPerSecond: Math.round(total / elapsed),
    latencyMs: { p50: pct(0.5), p99: pct(0.99) },
    seconds: Math.round(elapsed * 10) / 10,
    cpuSeconds: cpu,
  };
}

const sim = createSimulator(
  { vehicles: 500, seed: 5, badShare: 0, speed: 1 },
  { zones: await loadZones(path.resolve(import.meta.dirname, '../../transform/seeds/taxi_zone_lookup.csv')) },
);
const templates = [...sim.trips(Math.min(total, 20_000))].map((e) => e.payload);
const payloads = Array.from({ length: total }, (_, i) => {
  const t = templates[i % templates.length] as Record<string, unknown>;
  return {
    ...t,
    event_id: `${(t.event_id as string).slice(0, 24)}${i.toString(16).padStart(12, '0')}`,
    trip_id: `${t.trip_id as string}-${i}`,
  };
});
const messageBytes = Math.round(
  payloads.slice(0, 1000).reduce((a, p) => a + JSON.stringify(p).length + 5, 0) / 1000,
);
await resetTopics(endpoints());
const kcat = await kcatRates(total, messageBytes);
const one = await farebox(1, payloads);
const two = await farebox(2, payloads);
const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
  node: process.version,
  command: `npm run bench:kafka -- ${total}`,
  events: total,
  messageBytes,
  kcat,
  farebox: [one, two].map((r) => ({
    ...r,
    ratioToKcatConsume: Math.round((r.eventsPerSecond / kcat.consume) * 1000) / 1000,
  })),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
