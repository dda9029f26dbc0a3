import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEngines } from '../cli/engines.ts';
import { parseConfig } from '../config/index.ts';
import { contracts } from '../contracts/index.ts';
import { FareboxError, isFareboxError } from '../errors/index.ts';
import { createProducer } from '../ingest/index.ts';
import { createPreload } from '../preload/index.ts';
import { createSimulator, loadZones } from '../simulate/index.ts';
import type { ConsumerOptions, EventLog, LogConsumer } from '../log/index.ts';
import type { Warehouse } from './connection.ts';
import { createSink } from './sink.ts';

const home = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-sink-'));
const config = parseConfig({ env: { FAREBOX_HOME: home, FAREBOX_PARTITIONS: '2', FAREBOX_FSYNC: 'never' } });
const engines = await openEngines(config, { warehouse: true });
const warehouse = engines.warehouse as Warehouse;
const topic = contracts.trip_completed.topic;

afterAll(async () => {
  await engines.close();
  await fs.rm(home, { recursive: true, force: true });
});

async function scalar(sql: string): Promise<number> {
  const r = await warehouse.client.query({ query: sql, format: 'JSONEachRow' });
  return Number(Object.values((await r.json<Record<string, string>>())[0] ?? {})[0]);
}
const committed = async (): Promise<number> =>
  (await engines.log.committedOffsets(config.sink.group, topic)).reduce((a, b) => a + b, 0);

describe('the sink, pipelined', () => {
  it('never commits past a batch it could not load, and a restart loads the rest exactly once', async () => {
    const sim = createSimulator(
      { ...config.simulator, badShare: 0 },
      { zones: await loadZones(config.zonesFile) },
    );
    const producer = createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
    await producer.sendMany(
      'trip_completed',
      [...sim.trips(1000)].map((e) => e.payload),
    );
    const preload = createPreload({ workers: 1 }, engines);
    const small = { ...config.sink, batchRows: 100, batchMs: 50 };

    // The third raw insert fails for good: batches after it may be pre-loaded, but none is committed.
    let inserts = 0;
    const failing: Warehouse = {
      ...warehouse,
      insertEncoded: async (p) => {
        if (p.table === 'raw_trips' && ++inserts === 3)
          throw new FareboxError('warehouse', 'disk full (injected)', { retriable: false });
        await warehouse.insertEncoded(p);
      },
    };
    const broken = createSink(small, { log: engines.log, warehouse: failing, preload });
    await expect(broken.run(new AbortController().signal)).rejects.toSatisfy((e) =>
      isFareboxError(e, 'warehouse'),
    );
    expect(await committed()).toBe(200);
    expect(await scalar('SELECT sum(loaded + dead_lettered) FROM load_ledger FINAL')).toBe(200);
    expect(broken.stats().consumed).toBe(200);

    const healthy = createSink(small, { log: engines.log, warehouse, preload });
    const stop = new AbortController();
    const run = healthy.run(stop.signal);
    while ((await committed()) < 1000) await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await run;
    await preload.close();
    expect(await scalar('SELECT count() FROM trips')).toBe(1000);
    expect(await scalar('SELECT sum(loaded) FROM load_ledger FINAL')).toBe(1000);
    expect(healthy.stats().batches).toBeGreaterThanOrEqual(8);
  });
});

/**
 * A log whose consumers can be made to join the group again at will, as a Kafka member does after a
 * rebalance it did not see through its revocation callback: positions restart from the committed offsets.
 */
function rejoiningLog(log: EventLog): { log: EventLog; rejoin: () => Promise<void> } {
  let rejoin = (): Promise<void> => Promise.resolve();
  const wrapped: EventLog = Object.assign(Object.create(log) as EventLog, {
    consumer: async (options: ConsumerOptions): Promise<LogConsumer> => {
      const bare = { group: options.group, topics: options.topics };
      let inner = await log.consumer(bare);
      let generation = 1;
      rejoin = async () => {
        await inner.close();
        inner = await log.consumer(bare);
        generation++;
      };
      return {
        // As a Kafka member drops what it fetched before it joined again.
        poll: async (o) => {
          const polledIn = generation;
          const records = await inner.poll(o);
          return polledIn === generation ? records : [];
        },
        commit: (o) => inner.commit(o),
        assignment: () => inner.assignment(),
        generation: () => generation,
        close: () => inner.close(),
      };
    },
  });
  return { log: wrapped, rejoin: () => rejoin() };
}

describe('the sink, when the group rebalances under a batch in flight', () => {
  it('leaves the batch to the partitions’ next reader: counted and committed once', async () => {
    const group = 'sink-fenced';
    const sim = createSimulator(
      { ...config.simulator, badShare: 0, seed: 5 },
      { zones: await loadZones(config.zonesFile) },
    );
    const producer = createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
    await producer.sendMany(
      'trip_completed',
      [...sim.trips(1000)].map((e) => e.payload),
    );
    const before = await scalar('SELECT sum(loaded + dead_lettered) FROM load_ledger FINAL');
    const preload = createPreload({ workers: 1 }, engines);
    const { log, rejoin } = rejoiningLog(engines.log);
    let inserts = 0;
    const rebalancing: Warehouse = {
      ...warehouse,
      insertEncoded: async (p) => {
        if (p.table === 'raw_trips' && ++inserts === 2) await rejoin();
        await warehouse.insertEncoded(p);
      },
    };
    const sink = createSink(
      { ...config.sink, group, batchRows: 100, batchMs: 50 },
      { log, warehouse: rebalancing, preload },
    );
    const stop = new AbortController();
    const run = sink.run(stop.signal);
    const done = async () =>
      (await engines.log.committedOffsets(group, topic)).reduce((a, b) => a + b, 0) >= 2000;
    while (!(await done())) await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await run;
    await preload.close();
    expect(sink.stats().fenced).toBeGreaterThanOrEqual(100);
    expect(sink.stats().consumed).toBe(1000);
    expect(await scalar('SELECT sum(loaded + dead_lettered) FROM load_ledger FINAL')).toBe(before + 1000);
  });
});
