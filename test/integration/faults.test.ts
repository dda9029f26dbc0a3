/**
 * Faults on real engines, each time with the roles as processes: a sink killed with SIGKILL mid-batch,
 * a sink stopped with SIGTERM mid-batch (as a deploy does), the Kafka broker restarted while events are
 * produced, ClickHouse stopped for 30 s. Each time nothing is lost, nothing is duplicated for readers,
 * and the lag drains.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngines, type Engines } from '../../src/cli/engines.ts';
import { createSimulator, loadZones } from '../../src/simulate/index.ts';
import { collectStatus, type Warehouse } from '../../src/warehouse/index.ts';
import { repo, scalar } from '../helpers.ts';
import { createStack, node, type Stack } from './stack.ts';

const services = (...args: string[]) =>
  execFileSync(node, [path.join(repo, 'services', 'cli.ts'), ...args], { stdio: 'pipe' });

let stack: Stack | undefined;
let engines: Engines | undefined;
afterEach(async () => {
  await engines?.close();
  await stack?.destroy();
  stack = undefined;
  engines = undefined;
});

async function trips(count: number, seed: number): Promise<Record<string, unknown>[]> {
  const sim = createSimulator(
    { vehicles: 300, seed, badShare: 0, speed: 1 },
    { zones: await loadZones(path.join(repo, 'transform/seeds/taxi_zone_lookup.csv')) },
  );
  return [...sim.trips(count)].map((e) => ({ ...e.payload, event_id: randomUUID() }));
}

/** Posts events until the gateway has acknowledged every one, resending what failed (as a producer would). */
async function sendAll(s: Stack, events: Record<string, unknown>[], chunk = 500): Promise<number> {
  let retries = 0;
  for (let i = 0; i < events.length; i += chunk) {
    const body = events
      .slice(i, i + chunk)
      .map((e) => JSON.stringify(e))
      .join('\n');
    for (;;) {
      const res = await fetch(`${s.gatewayUrl}/v1/events/trip_completed`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/x-ndjson' },
        body,
        signal: AbortSignal.timeout(30_000),
      }).catch(() => undefined);
      if (res?.status === 202) break;
      retries++;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return retries;
}

async function drained(s: Stack, e: Engines, timeoutMs = 240_000): Promise<void> {
  const warehouse = e.warehouse as Warehouse;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const st = await collectStatus(e.log, warehouse, s.config.sink.group).catch(() => undefined);
    if (
      st !== undefined &&
      st.totals.lag === 0 &&
      st.totals.loaded + st.totals.deadLettered === st.totals.produced
    )
      return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the lag did not drain');
}

/** Every sent event is visible exactly once. */
async function expectExactlyOnce(e: Engines, sent: Record<string, unknown>[]): Promise<void> {
  const warehouse = e.warehouse as Warehouse;
  expect(await scalar(warehouse, 'SELECT count() FROM trips')).toBe(sent.length);
  expect(await scalar(warehouse, 'SELECT uniqExact(event_id) FROM raw_trips')).toBe(sent.length);
}

describe('faults on real engines', () => {
  it('a sink killed with SIGKILL mid-batch and started again loses and duplicates nothing', async () => {
    stack = await createStack('kill');
    await stack.start('registry');
    await stack.start('gateway');
    const first = await stack.start('sink', { FAREBOX_SINK_BATCH_ROWS: '2000' });
    engines = await openEngines(stack.config, { warehouse: true });
    const events = await trips(40_000, 21);
    await sendAll(stack, events);
    // Kill it while it is loading: after some batches, before the end.
    const warehouse = engines.warehouse as Warehouse;
    for (let i = 0; i < 400; i++) {
      const loaded = await scalar(warehouse, 'SELECT count() FROM raw_trips').catch(() => 0);
      if (loaded > 4000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const before = await collectStatus(engines.log, warehouse, stack.config.sink.group);
    expect(before.totals.lag).toBeGreaterThan(0);
    await stack.start('sink');
    await drained(stack, engines);
    await expectExactlyOnce(engines, events);
  });

  it('a sink stopped with SIGTERM mid-batch drains in time; /readyz and /metrics tell the platform', async () => {
    stack = await createStack('term');
    await stack.start('registry');
    const gateway = await stack.start('gateway');
    const first = await stack.start('sink', {
      FAREBOX_SINK_BATCH_ROWS: '2000',
      FAREBOX_SHUTDOWN_SECONDS: '20',
      FAREBOX_LOG_FORMAT: 'json',
    });
    const opsOf = (out: string) => /ops: (http:\/\/[^\s/]+)\/livez/.exec(out)?.[1] as string;
    const sinkOps = opsOf(first.output());
    const scrape = async (base: string, name: string): Promise<number> => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
        (a, m) => a + Number(m[1]),
        0,
      );
    };
    expect((await fetch(`${sinkOps}/livez`)).status).toBe(200);
    expect((await fetch(`${sinkOps}/readyz`)).status).toBe(200);
    engines = await openEngines(stack.config, { warehouse: true });
    const events = await trips(40_000, 24);
    await sendAll(stack, events);
    expect(await scrape(opsOf(gateway.output()), 'farebox_events_received_total')).toBe(events.length);
    const warehouse = engines.warehouse as Warehouse;
    for (let i = 0; i < 400; i++) {
      const loaded = await scalar(warehouse, 'SELECT count() FROM raw_trips').catch(() => 0);
      if (loaded > 4000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // The counters move while it loads, and the lag it reports shrinks.
    const loadedThen = await scrape(sinkOps, 'farebox_sink_records_total');
    const lagThen = await scrape(sinkOps, 'farebox_consumer_lag');
    expect(loadedThen).toBeGreaterThan(0);
    expect(await scrape(sinkOps, 'farebox_sink_batches_total')).toBeGreaterThan(0);
    expect(await scrape(sinkOps, 'farebox_sink_insert_seconds_count')).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await scrape(sinkOps, 'farebox_sink_records_total')).toBeGreaterThan(loadedThen);
    expect(await scrape(sinkOps, 'farebox_consumer_lag')).toBeLessThan(lagThen);
    const stopping = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(20_000);
    // Its logs are JSON lines, the last saying it stopped cleanly.
    const lines = first
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; role: string; msg: string });
    expect(lines.at(-1)).toMatchObject({ level: 'info', role: 'sink', msg: 'stopped cleanly' });
    // What it had not committed is redelivered to the next sink: nothing lost, nothing twice.
    await stack.start('sink');
    await drained(stack, engines);
    await expectExactlyOnce(engines, events);
  });

  it('survives a Kafka broker restart during production', async () => {
    stack = await createStack('broker');
    await stack.start('registry');
    const gateway = await stack.start('gateway');
    const sink = await stack.start('sink');
    engines = await openEngines(stack.config, { warehouse: true });
    const events = await trips(30_000, 22);
    const sending = sendAll(stack, events, 250);
    await new Promise((r) => setTimeout(r, 1500));
    services('restart', 'kafka');
    const retries = await sending;
    expect(retries).toBeGreaterThanOrEqual(0);
    await drained(stack, engines);
    await expectExactlyOnce(engines, events);
    // Both rode it out: nobody had to restart them.
    expect(gateway.child.exitCode, gateway.output()).toBeNull();
    expect(sink.child.exitCode, sink.output()).toBeNull();
  });

  it('waits out ClickHouse being stopped for 30 s, then drains', async () => {
    stack = await createStack('clickhouse');
    await stack.start('registry');
    await stack.start('gateway');
    const sink = await stack.start('sink');
    engines = await openEngines(stack.config, { warehouse: true });
    const events = await trips(20_000, 23);
    await sendAll(stack, events.slice(0, 10_000));
    services('down', 'clickhouse');
    await sendAll(stack, events.slice(10_000));
    await new Promise((r) => setTimeout(r, 30_000));
    services('up', 'clickhouse');
    await drained(stack, engines);
    await expectExactlyOnce(engines, events);
    expect(sink.output()).toMatch(/failed .*retrying/);
  });
});
